/**
 * Slack's own checks of a message, as its Web API documents and applies them, written from
 * Slack's reference rather than from the bot's renderer so that they can catch it: the fake
 * Slack refuses what these refuse, and the property test asserts that nothing the renderer
 * makes is refused.
 *
 * https://docs.slack.dev/reference/block-kit/blocks, …/block-elements/button-element,
 * …/composition-objects/confirmation-dialog-object and …/methods/chat.postMessage.
 */

type Json = Record<string, unknown>;

const MESSAGE_TEXT = 40_000;
const BLOCKS = 50;

/** Where each text object may appear, and how long its `text` may be. */
const LIMITS = {
  header: 150,
  sectionText: 3_000,
  sectionField: 2_000,
  sectionFields: 10,
  contextElement: 2_000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
} as const;

/** Slack's answer to a message it refuses: the error, and its list of what is wrong, as Slack gives it. */
export interface Refusal {
  error: 'invalid_blocks' | 'msg_too_long' | 'no_text';
  errors: string[];
}

function textObject(value: unknown, max: number, at: string, errors: string[], plainOnly = false): void {
  const object = value as Json | undefined;
  if (!object || (object.type !== 'plain_text' && object.type !== 'mrkdwn')) {
    errors.push(`expected a text object [json-pointer:${at}]`);
    return;
  }
  if (plainOnly && object.type !== 'plain_text') errors.push(`must be plain_text [json-pointer:${at}/type]`);
  const text = typeof object.text === 'string' ? object.text : '';
  if (text.length === 0) errors.push(`must be more than 0 characters [json-pointer:${at}/text]`);
  if (text.length > max) errors.push(`must be less than ${max + 1} characters [json-pointer:${at}/text]`);
}

function value(raw: unknown, max: number, at: string, errors: string[]): void {
  if (raw === undefined) return;
  if (typeof raw !== 'string' || raw.length > max) errors.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}

function element(el: Json, at: string, errors: string[]): void {
  if (el.type === 'button') {
    textObject(el.text, LIMITS.buttonText, `${at}/text`, errors, true);
    value(el.value, LIMITS.buttonValue, `${at}/value`, errors);
    const confirm = el.confirm as Json | undefined;
    if (confirm) {
      textObject(confirm.title, LIMITS.confirmTitle, `${at}/confirm/title`, errors, true);
      textObject(confirm.text, LIMITS.confirmText, `${at}/confirm/text`, errors);
      textObject(confirm.confirm, LIMITS.confirmButton, `${at}/confirm/confirm`, errors, true);
      textObject(confirm.deny, LIMITS.confirmButton, `${at}/confirm/deny`, errors, true);
    }
    return;
  }
  if (el.type === 'static_select' || el.type === 'overflow') {
    const options = Array.isArray(el.options) ? (el.options as Json[]) : [];
    for (const [i, option] of options.entries()) {
      textObject(option.text, LIMITS.optionText, `${at}/options/${i}/text`, errors, true);
      value(option.value, LIMITS.optionValue, `${at}/options/${i}/value`, errors);
    }
    return;
  }
  errors.push(`unsupported element type ${String(el.type)} [json-pointer:${at}/type]`);
}

function block(b: Json, at: string, errors: string[]): void {
  switch (b.type) {
    case 'header':
      textObject(b.text, LIMITS.header, `${at}/text`, errors, true);
      return;
    case 'section': {
      const fields = Array.isArray(b.fields) ? (b.fields as unknown[]) : undefined;
      if (b.text === undefined && !fields) errors.push(`must provide text or fields [json-pointer:${at}]`);
      if (b.text !== undefined) textObject(b.text, LIMITS.sectionText, `${at}/text`, errors);
      if (fields) {
        if (fields.length > LIMITS.sectionFields) errors.push(`must be at most ${LIMITS.sectionFields} items [json-pointer:${at}/fields]`);
        for (const [i, f] of fields.entries()) textObject(f, LIMITS.sectionField, `${at}/fields/${i}`, errors);
      }
      return;
    }
    case 'context': {
      const elements = Array.isArray(b.elements) ? (b.elements as unknown[]) : [];
      if (elements.length === 0 || elements.length > LIMITS.contextElements)
        errors.push(`must have 1 to ${LIMITS.contextElements} items [json-pointer:${at}/elements]`);
      for (const [i, e] of elements.entries()) textObject(e, LIMITS.contextElement, `${at}/elements/${i}`, errors);
      return;
    }
    case 'actions': {
      const elements = Array.isArray(b.elements) ? (b.elements as Json[]) : [];
      if (elements.length === 0 || elements.length > LIMITS.actionsElements)
        errors.push(`must have 1 to ${LIMITS.actionsElements} items [json-pointer:${at}/elements]`);
      for (const [i, e] of elements.entries()) element(e, `${at}/elements/${i}`, errors);
      return;
    }
    case 'divider':
      return;
    default:
      errors.push(`unsupported block type ${String(b.type)} [json-pointer:${at}/type]`);
  }
}

/** What Slack would refuse in a chat.postMessage or chat.update, or undefined when it takes the message. */
export function slackRefusal(params: Record<string, unknown>): Refusal | undefined {
  const text = typeof params.text === 'string' ? params.text : '';
  if (text.length > MESSAGE_TEXT) return { error: 'msg_too_long', errors: [`text must be at most ${MESSAGE_TEXT} characters`] };
  const blocks = params.blocks;
  if (blocks === undefined || (Array.isArray(blocks) && blocks.length === 0)) {
    return text.length === 0 ? { error: 'no_text', errors: ['text or blocks are required'] } : undefined;
  }
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks', errors: ['blocks must be an array'] };
  const errors: string[] = [];
  if (blocks.length > BLOCKS) errors.push(`must be at most ${BLOCKS} items [json-pointer:/blocks]`);
  for (const [i, b] of blocks.entries()) block(b as Json, `/blocks/${i}`, errors);
  return errors.length > 0 ? { error: 'invalid_blocks', errors } : undefined;
}

/** A home view takes twice a message's blocks (https://docs.slack.dev/reference/views). */
const HOME_VIEW_BLOCKS = 100;

/** What Slack would refuse in a views.publish of a home view, or undefined when it takes it. */
export function homeViewRefusal(view: unknown): Refusal | undefined {
  const v = (typeof view === 'object' && view !== null ? view : {}) as Json;
  const errors: string[] = [];
  if (v.type !== 'home') errors.push('view type must be home [json-pointer:/view/type]');
  const blocks = Array.isArray(v.blocks) ? (v.blocks as Json[]) : [];
  if (blocks.length === 0 || blocks.length > HOME_VIEW_BLOCKS) errors.push(`must have 1 to ${HOME_VIEW_BLOCKS} items [json-pointer:/view/blocks]`);
  for (const [i, b] of blocks.entries()) block(b, `/view/blocks/${i}`, errors);
  return errors.length > 0 ? { error: 'invalid_blocks', errors } : undefined;
}
