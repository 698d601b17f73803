/**
 * The values .env.example ships with where a person's own value belongs. A copied .env
 * that still holds one would start with a credential anyone can read in the repository
 * (ALERTMANAGER_TOKEN), or fail later with a vaguer reason; so each is refused by name.
 * test/unit/startup-config.test.ts keeps this list equal to .env.example.
 */
export const EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
  SLACK_SIGNING_SECRET: 'your-signing-secret',
  ALERTMANAGER_TOKEN: 'change-me-to-a-long-random-string',
  INCIDENT_CHANNEL: 'C0123456789',
};

/** Each variable still holding its example value, with that value. */
export function exampleValuesLeft(env: Record<string, unknown>): Array<{ variable: string; value: string }> {
  return Object.entries(EXAMPLE_VALUES)
    .filter(([variable, value]) => typeof env[variable] === 'string' && env[variable].trim() === value)
    .map(([variable, value]) => ({ variable, value }));
}
