// Block Kit as terminal text, for the local transcript: enough to read a card, a digest or an
// alert in a terminal. The JSON transcript file keeps the exact blocks.

type Block = Record<string, unknown>;

const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'text' in value) return text(value.text);
  return '';
};

/** Slack mrkdwn → plain terminal text: links, mentions and entities made readable. */
export function plainMrkdwn(mrkdwn: string): string {
  return mrkdwn
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, label?: string) =>
      label ? `@${label.replace(/^@/, '')}` : `@${id}`,
    )
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function renderElement(element: Block): string {
  switch (element.type) {
    case 'button':
      return `[${text(element.text)}]`;
    case 'image':
      return `(image: ${String(element.alt_text ?? '')})`;
    case 'mrkdwn':
    case 'plain_text':
      return plainMrkdwn(text(element));
    default:
      return element.placeholder ? `[${text(element.placeholder)} ▾]` : '';
  }
}

function indent(lines: string, prefix = '  '): string {
  return lines
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

export function renderBlock(block: Block): string {
  switch (block.type) {
    case 'header':
      return `== ${plainMrkdwn(text(block.text))} ==`;
    case 'divider':
      return '----';
    case 'section': {
      const parts: string[] = [];
      if (block.text) parts.push(plainMrkdwn(text(block.text)));
      if (Array.isArray(block.fields)) {
        parts.push(...(block.fields as Block[]).map((f) => indent(plainMrkdwn(text(f)))));
      }
      if (block.accessory) parts.push(indent(renderElement(block.accessory as Block)));
      return parts.join('\n');
    }
    case 'context':
      return Array.isArray(block.elements)
        ? indent((block.elements as Block[]).map(renderElement).filter(Boolean).join('  ·  '))
        : '';
    case 'actions':
      return Array.isArray(block.elements)
        ? (block.elements as Block[]).map(renderElement).filter(Boolean).join(' ')
        : '';
    case 'input':
      return `${text(block.label)}: ${renderElement((block.element as Block | undefined) ?? {})}`;
    case 'image':
      return renderElement(block);
    case 'rich_text':
      return '(rich text)';
    default:
      return `(${String(block.type)} block)`;
  }
}

export function renderBlocks(blocks: readonly Block[] | undefined, fallback: string): string {
  if (!blocks || blocks.length === 0) return plainMrkdwn(fallback);
  return blocks
    .map(renderBlock)
    .filter((line) => line !== '')
    .join('\n');
}
