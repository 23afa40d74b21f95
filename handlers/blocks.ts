// Block Kit helpers shared by the listeners. Data text is escaped for mrkdwn so a table name or a
// label cannot ping @channel or forge a link; Slack's limits are enforced here, not hoped for.

export type Block = Record<string, unknown>;

export const maxBlocks = 50;
/** A modal or the App Home tab. */
export const maxViewBlocks = 100;
export const maxSectionChars = 3000;
const bars = '▁▂▃▄▅▆▇█';

/** Escapes the three characters mrkdwn treats as control: &, <, >. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, 150), emoji: true } };
}

/** A mrkdwn section; `text` must already be escaped where it holds data. */
export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, maxSectionChars) } };
}

export function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, maxSectionChars) }] };
}

export function divider(): Block {
  return { type: 'divider' };
}

/** At most `max` (a message's 50 by default): the last kept block says how many were left out. */
export function capBlocks(blocks: readonly Block[], max = maxBlocks): Block[] {
  if (blocks.length <= max) return [...blocks];
  const kept = blocks.slice(0, max - 1);
  return [...kept, context(`…${blocks.length - kept.length} more not shown`)];
}

export function usd(value: number | null): string {
  if (value === null) return 'unknown';
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function sparkline(values: readonly number[]): string {
  const max = Math.max(...values, 0);
  if (max <= 0) return values.map(() => bars[0]).join('');
  return values
    .map((v) => bars[Math.min(bars.length - 1, Math.floor((v / max) * (bars.length - 1) + 0.5))])
    .join('');
}
