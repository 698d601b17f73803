/**
 * The naming rules that more than one boundary checks: the runbook schema, services.yaml,
 * the slash commands and the Slack button values. One source each, so that a name one
 * boundary accepts is never refused by the next (a runbook id the schema accepts must
 * also be readable back from its button's value when someone clicks it).
 */

/**
 * Runbook ids, runbook action ids and host group names: 1 to 64 lower-case letters,
 * digits and "-", with no "-" at either end. They end up in Slack button values.
 */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
export const SLUG_RULE = 'lower-case letters, digits and "-" (at most 64 characters, no "-" at either end)';

/** Service names, as services.yaml lists them and alerts label them. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const SERVICE_NAME_RULE = 'lower-case letters, digits, ".", "_" or "-"';
