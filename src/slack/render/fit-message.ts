/**
 * The one place that holds a message to every Block Kit limit, applied by each renderer to
 * what it made: text is cut visibly (limits.ts), overflowing fields, elements and blocks are
 * replaced by a note, and what cannot be cut without breaking it (a button's value) is left
 * out. A message Slack would refuse for its size is never sent.
 */
import type { Block, ButtonElement, SlackMessage, TextObject } from './block-kit.js';
import {
  MAX_ACTIONS_ELEMENTS,
  MAX_BLOCKS,
  MAX_BUTTON_TEXT,
  MAX_BUTTON_VALUE,
  MAX_CONFIRM_BUTTON,
  MAX_CONFIRM_TEXT,
  MAX_CONFIRM_TITLE,
  MAX_CONTEXT_ELEMENTS,
  MAX_CONTEXT_TEXT,
  MAX_HEADER_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_SECTION_FIELD,
  MAX_SECTION_FIELDS,
  MAX_SECTION_TEXT,
  truncate,
  truncatePlain,
} from './limits.js';

/** Slack refuses an empty text object; a value that escaped to nothing still shows something. */
const EMPTY = '(empty)';

/** A text object cut to `max`, as its type is cut: mrkdwn never inside an entity or a link. */
export function fitTextObject(object: TextObject, max: number): TextObject {
  const text = object.text.trim() === '' ? EMPTY : object.text;
  return { ...object, text: object.type === 'mrkdwn' ? truncate(text, max) : truncatePlain(text, max) };
}

/** Keeps the first `max - 1` items and a note for the rest, when there are more than `max`. */
function fitCount<T>(items: readonly T[], max: number, note: (left: number) => T): T[] {
  if (items.length <= max) return [...items];
  const kept = items.slice(0, max - 1);
  return [...kept, note(items.length - kept.length)];
}

const noteObject = (text: string): TextObject => ({ type: 'mrkdwn', text: `_${text}_` });

function fitButton(button: ButtonElement): ButtonElement {
  const { confirm } = button;
  return {
    ...button,
    text: fitTextObject(button.text, MAX_BUTTON_TEXT),
    ...(confirm
      ? {
          confirm: {
            title: fitTextObject(confirm.title, MAX_CONFIRM_TITLE),
            text: fitTextObject(confirm.text, MAX_CONFIRM_TEXT),
            confirm: fitTextObject(confirm.confirm, MAX_CONFIRM_BUTTON),
            deny: fitTextObject(confirm.deny, MAX_CONFIRM_BUTTON),
          },
        }
      : {}),
  };
}

/** One block within its own limits; an actions block whose buttons all fell out is none. */
function fitBlock(block: Block): Block | undefined {
  switch (block.type) {
    case 'header':
      return { ...block, text: fitTextObject(block.text, MAX_HEADER_TEXT) };
    case 'section': {
      const fields = block.fields
        ? fitCount(block.fields, MAX_SECTION_FIELDS, (left) => noteObject(`${left} more fields left out`)).map((f) => fitTextObject(f, MAX_SECTION_FIELD))
        : undefined;
      if ('text' in block) return { type: 'section', text: fitTextObject(block.text, MAX_SECTION_TEXT), ...(fields ? { fields } : {}) };
      return { type: 'section', fields: fields ?? [] };
    }
    case 'context':
      return {
        type: 'context',
        elements: fitCount(block.elements, MAX_CONTEXT_ELEMENTS, (left) => noteObject(`${left} more left out`)).map((e) => fitTextObject(e, MAX_CONTEXT_TEXT)),
      };
    case 'actions': {
      // A value cut short would name nothing: such a button is left out, never sent broken.
      const elements = block.elements.filter((e) => e.type !== 'button' || e.value.length <= MAX_BUTTON_VALUE).slice(0, MAX_ACTIONS_ELEMENTS);
      return elements.length === 0 ? undefined : { ...block, elements: elements.map((e) => (e.type === 'button' ? fitButton(e) : e)) };
    }
    case 'divider':
      return block;
  }
}

/** Keeps a message within Slack's block count, replacing the overflow with a note. */
export function fitBlocks(blocks: readonly Block[]): Block[] {
  return fitCount(blocks, MAX_BLOCKS, (left) => ({
    type: 'context',
    elements: [noteObject(`${left} more blocks were left out (Slack allows ${MAX_BLOCKS})`)],
  }));
}

/** A message's notification text within Slack's limit. */
export function fitText(text: string): string {
  return truncate(text.trim() === '' ? EMPTY : text, MAX_MESSAGE_TEXT);
}

/** The message as Slack takes it: every block, element and text within its limit. */
export function fitMessage(message: SlackMessage): SlackMessage {
  const blocks = message.blocks.map(fitBlock).filter((b): b is Block => b !== undefined);
  return { text: fitText(message.text), blocks: fitBlocks(blocks) };
}
