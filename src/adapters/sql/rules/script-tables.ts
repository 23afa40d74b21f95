import type { Pos } from '../ast.js';
import type { RuleContext } from './rule.js';

export interface CreatedTable {
  name: string;
  temporary: boolean;
  pos: Pos | null;
  /** Dropped by a later statement of the script. */
  droppedLater: boolean;
}

/** Tables a script creates, in order, and whether a later statement drops each. */
export function createdTables({ model, resolver, unparsedDrops }: RuleContext): CreatedTable[] {
  const key = (parts: readonly string[]) => resolver.qualifiedName(parts).toLowerCase();
  const created: CreatedTable[] = [];
  model.statements.forEach((statement, index) => {
    if (!statement.created) return;
    const name = key(statement.created.parts);
    const droppedLater =
      model.statements
        .slice(index + 1)
        .some((later) => later.dropped?.some((drop) => key(drop.parts) === name)) ||
      unparsedDrops.some((parts) => key(parts) === name);
    created.push({
      name: statement.created.parts.join('.'),
      temporary: statement.created.temporary,
      pos: statement.created.pos ?? statement.pos,
      droppedLater,
    });
  });
  return created;
}
