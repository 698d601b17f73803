/** The Block Kit shapes the bot renders; a small subset, typed so that renderers stay honest. */
export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: TextObject;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: TextObject; text: TextObject; confirm: TextObject; deny: TextObject };
}

/** A menu; its options' values are contract values like a button's. */
export interface StaticSelectElement {
  type: 'static_select';
  action_id: string;
  placeholder: TextObject;
  options: Array<{ text: TextObject; value: string }>;
}

export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject; fields?: TextObject[] }
  | { type: 'section'; fields: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; block_id?: string; elements: Array<ButtonElement | StaticSelectElement> }
  | { type: 'divider' };

export interface SlackMessage {
  text: string;
  blocks: Block[];
}
