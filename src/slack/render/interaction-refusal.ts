/**
 * What a person is told when Slack sends the bot an interaction it cannot act on: a click
 * or command it cannot read, or a kind of interaction it has no listener for. Each says
 * that nothing was done and where to go instead.
 */

export type Unanswerable =
  | { kind: 'unreadable click' }
  | { kind: 'unreadable command' }
  | { kind: 'unknown command'; command: string; known: readonly string[] }
  | { kind: 'no listener'; interaction: string };

/** Slash command names as Slack allows them; anything else is not echoed back. */
const COMMAND_NAME = /^\/[a-z0-9_-]{1,32}$/;

const NAMES: Record<string, string> = {
  view_submission: 'form',
  view_closed: 'form',
  shortcut: 'shortcut',
  message_action: 'message shortcut',
  interactive_message: 'message button',
  dialog_submission: 'dialog',
  dialog_cancellation: 'dialog',
  block_suggestion: 'menu',
};

export function renderUnanswerable(what: Unanswerable): string {
  switch (what.kind) {
    case 'unreadable click':
      return 'This click could not be read (it names no user or no action); nothing was done. Use `/incident list` to find the incident.';
    case 'unreadable command':
      return 'This command could not be read (it names no user or has no text); nothing was done. Try it again.';
    case 'unknown command': {
      const name = COMMAND_NAME.test(what.command) ? `\`${what.command}\`` : 'This command';
      return `${name} is not handled by this bot; nothing was done. It answers ${what.known.map((c) => `\`${c}\``).join(', ')}.`;
    }
    case 'no listener':
      return `This bot does not handle this ${NAMES[what.interaction] ?? 'interaction'}; nothing was done. Use \`/incident help\` to see what it can do.`;
  }
}

/** Slack allows a modal title of 24 characters at most. */
const MODAL_TITLE = 'Incident bot';

/** The modal that replaces a submitted form the bot has no listener for (response_action "update"). */
export function renderUnanswerableModal(what: Unanswerable): Record<string, unknown> {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: MODAL_TITLE },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: renderUnanswerable(what) } }],
  };
}
