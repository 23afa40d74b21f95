import type { AllMiddlewareArgs, RespondArguments, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type {
  AnomaliesAnswer,
  CheckAnswer,
  CostQuery,
  MeAnswer,
  QueryLookupAnswer,
  Period,
  QueryAnswer,
  RecAnswer,
  RecsAnswer,
  SummaryAnswer,
  TableAnswer,
  TopAnswer,
  TopDimension,
} from '../../src/app/answer-query.js';
import { lookupPatternLimit, periods, topDimensions } from '../../src/app/answer-query.js';
import { recommendationKinds, type RecommendationKind } from '../../src/domain/analysis.js';
import type { CostLine } from '../../src/domain/analysis.js';
import { isAppError } from '../../src/errors.js';
import type { Chat, ChatMessage } from '../../src/ports/chat.js';
import { slashCommands } from '../../src/slack-ids.js';
import {
  capBlocks,
  context,
  divider,
  escapeMrkdwn,
  header,
  maxSectionChars,
  section,
  sparkline,
  truncate,
  usd,
  type Block,
} from '../blocks.js';

export interface BqcostCommandDeps {
  answer: (query: CostQuery) => Promise<QueryAnswer>;
  chat: Chat;
  /**
   * How long to wait for the answer before acknowledging with "working on it" and finishing
   * through response_url. Slack gives 3 s for the whole request; default 2000 ms.
   */
  answerBudgetMs?: number;
  /**
   * Where a slow answer goes when nothing may run after the response (Cloud Functions): the
   * question is handed over (published) before the acknowledgement, and a worker answers through
   * response_url. Absent: the answer is finished in the background (a long-running server).
   */
  defer?: (query: CostQuery, responseUrl: string) => Promise<void>;
  onError?: (error: unknown) => void;
}

export type ParsedCommand =
  | { kind: 'query'; query: CostQuery }
  | { kind: 'me'; period: Period }
  | { kind: 'recsMine'; recKind: RecommendationKind | null }
  | { kind: 'help'; problem: string | null };

const usage = [
  ['help', 'this list'],
  ['summary [7d|30d|mtd]', 'spend for the period (default 7d)'],
  ['top users|projects|labels|queries|tables [7d|30d|mtd]', 'the costliest ten'],
  [
    'recs [kind] [mine]',
    `open recommendations, optionally one kind (${recommendationKinds.join(', ')}); \`mine\`: only yours`,
  ],
  ['anomalies', 'days that cost more than expected'],
  ['me [7d|30d|mtd]', 'your own spend, by your Slack email'],
  ['rec <id>', 'one recommendation in full: cost lines, evidence and the fix'],
  ['table <project.dataset.table>', 'storage, reads, writes, query cost and recommendations'],
  ['query <hash|job_id>', 'a query shape (runs, cost, users, SQL, lint) or one job'],
  [
    'check <sql>',
    'lint a statement and estimate its cost (BigQuery dry run; an upper bound from table sizes in embedded mode)',
  ],
] as const;

/** Parses the text after `/bqcost`; anything it does not understand becomes help with a hint. */
export function parseBqcost(text: string): ParsedCommand {
  const trimmed = text.trim();
  const rawArgs = trimmed.split(/\s+/).filter(Boolean).slice(1);
  const [sub = '', ...args] = trimmed.toLowerCase().split(/\s+/).filter(Boolean);
  const period = (arg: string | undefined): Period | null =>
    arg === undefined
      ? '7d'
      : (periods as readonly string[]).includes(arg)
        ? (arg as Period)
        : null;
  const help = (problem: string): ParsedCommand => ({ kind: 'help', problem });
  switch (sub) {
    case '':
    case 'help':
      return { kind: 'help', problem: null };
    case 'summary': {
      const p = period(args[0]);
      if (p === null || args.length > 1) return help(`\`summary\` takes ${periods.join(', ')}.`);
      return { kind: 'query', query: { kind: 'summary', period: p } };
    }
    case 'top': {
      const dimension = args[0];
      if (dimension === undefined || !Object.hasOwn(topDimensions, dimension))
        return help(`\`top\` needs one of ${Object.keys(topDimensions).join(', ')}.`);
      const p = period(args[1]);
      if (p === null || args.length > 2) return help(`the period is one of ${periods.join(', ')}.`);
      return {
        kind: 'query',
        query: { kind: 'top', dimension: dimension as TopDimension, period: p },
      };
    }
    case 'recs': {
      // `recs [kind] [mine]`, in either order.
      const mine = args.filter((a) => a === 'mine').length;
      const kinds = args.filter((a) => a !== 'mine');
      const kind = kinds[0];
      if (mine > 1 || kinds.length > 1 || (kind !== undefined && !isKind(kind)))
        return help(
          `\`recs\` takes at most one kind (${recommendationKinds.join(', ')}) and \`mine\`.`,
        );
      return mine === 1
        ? { kind: 'recsMine', recKind: kind ?? null }
        : { kind: 'query', query: { kind: 'recs', recKind: kind ?? null } };
    }
    case 'anomalies':
      if (args.length > 0) return help('`anomalies` takes no arguments.');
      return { kind: 'query', query: { kind: 'anomalies' } };
    case 'rec': {
      const id = rawArgs[0];
      if (id === undefined || rawArgs.length > 1 || !/^[\w.:-]{1,200}$/.test(id))
        return help('`rec` takes one recommendation id, as shown by `recs`.');
      return { kind: 'query', query: { kind: 'rec', id } };
    }
    case 'table': {
      const name = rawArgs.length === 1 ? parseTableName(rawArgs[0] ?? '') : null;
      if (name === null)
        return help(
          '`table` takes one fully qualified name: `project.dataset.table` (backticks allowed).',
        );
      return { kind: 'query', query: { kind: 'table', table: name } };
    }
    case 'me': {
      const p = period(args[0]);
      if (p === null || args.length > 1) return help(`\`me\` takes ${periods.join(', ')}.`);
      return { kind: 'me', period: p };
    }
    case 'query': {
      const ref = rawArgs[0];
      if (ref === undefined || rawArgs.length > 1 || !/^[\w.:-]{1,200}$/.test(ref))
        return help('`query` takes one normalized query hash or one job id.');
      return { kind: 'query', query: { kind: 'query', ref } };
    }
    case 'check': {
      // Slack sends &, < and > in command text as HTML entities; the SQL needs them back.
      const sql = unescapeSlack(stripCodeFence(trimmed.slice(trimmed.search(/\s/) + 1).trim()));
      if (rawArgs.length === 0 || sql.length === 0) return help('`check` takes a SQL statement.');
      if (sql.length > maxCheckSqlChars)
        return help(`\`check\` takes at most ${maxCheckSqlChars} characters of SQL.`);
      return { kind: 'query', query: { kind: 'check', sql } };
    }
    default:
      return help('I do not know that subcommand.');
  }
}

const maxCheckSqlChars = 20_000;

/** `project.dataset.table`, optionally in backticks (whole or per part); null when malformed. */
export function parseTableName(text: string): string | null {
  const name = text.replace(/`/g, '');
  // Project ids: letters, digits, hyphens (and a domain prefix with `:`); datasets: letters,
  // digits, underscores; tables also allow hyphens and `$` (partition decorators).
  const ok =
    name.split('.').length === 3 &&
    /^[a-z0-9][a-z0-9:-]*[a-z0-9]\.[A-Za-z0-9_]+\.[\w$-]+$/i.test(name);
  return ok ? name : null;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function stripCodeFence(sql: string): string {
  return sql.replace(/^```(?:sql)?\s*/i, '').replace(/\s*```$/, '');
}

function isKind(value: string): value is RecommendationKind {
  return (recommendationKinds as readonly string[]).includes(value);
}

// With processBeforeResponse the HTTP response leaves only when this listener returns, so it must
// finish inside Slack's 3 s. A slow answer is acknowledged with "working on it" and finished
// through response_url in the background — fine for the long-running embedded server. On Cloud
// Functions code after the response gets no CPU: production publishes the query to Pub/Sub and a
// worker answers through response_url (the pipeline issue builds that).
export function bqcostCommand(deps: BqcostCommandDeps) {
  const budgetMs = deps.answerBudgetMs ?? 2000;
  return async ({
    command,
    ack,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parseBqcost(command.text ?? '');
    if (parsed.kind === 'help') {
      await ack(ephemeral(helpMessage(parsed.problem, command.text ?? '')));
      return;
    }
    const query = await queryFor(deps, parsed, command.user_id, command.team_id).catch(
      (error: unknown) => {
        deps.onError?.(error);
        return errorMessage(error);
      },
    );
    if (!isQuery(query)) {
      await ack(ephemeral(query));
      return;
    }
    const pending = deps.answer(query).then(renderAnswer, (error: unknown) => {
      deps.onError?.(error);
      return errorMessage(error);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budgetMs);
    });
    const first = await Promise.race([pending, timeout]);
    clearTimeout(timer);
    if (first !== null) {
      await ack(ephemeral(first));
      return;
    }
    if (deps.defer) {
      try {
        await deps.defer(query, command.response_url);
      } catch (error) {
        deps.onError?.(error);
        await ack(ephemeral(errorMessage(error)));
        return;
      }
      await ack(ephemeral({ text: 'Working on it… the answer will appear here shortly.' }));
      return;
    }
    await ack(ephemeral({ text: 'Working on it… the answer will appear here shortly.' }));
    void pending
      .then((message) => deps.chat.respond(command.response_url, message))
      .catch((error: unknown) => deps.onError?.(error));
  };
}

export const commandName = slashCommands.bqcost;

/** `me` needs the caller's email first (users.info, cached); the rest are queries already. */
async function queryFor(
  deps: BqcostCommandDeps,
  parsed: Exclude<ParsedCommand, { kind: 'help' }>,
  userId: string,
  teamId: string,
): Promise<CostQuery | ChatMessage> {
  if (parsed.kind === 'query') return parsed.query;
  if (parsed.kind === 'recsMine') {
    return { kind: 'recs', recKind: parsed.recKind, owner: { slackId: userId, teamId } };
  }
  const email = await deps.chat.userEmail(userId);
  if (email === null) return noEmailMessage;
  return { kind: 'me', email, period: parsed.period };
}

function isQuery(value: CostQuery | ChatMessage): value is CostQuery {
  return 'kind' in value;
}

function ephemeral(message: ChatMessage): RespondArguments {
  // Block Kit objects are built as plain JSON; Bolt's types describe the same shape.
  return {
    response_type: 'ephemeral',
    text: message.text,
    ...(message.blocks ? { blocks: [...message.blocks] } : {}),
  } as RespondArguments;
}

export function helpMessage(problem: string | null, text: string): ChatMessage {
  const lines = usage.map(
    ([args, what]) => `• \`${commandName} ${escapeMrkdwn(args)}\` — ${escapeMrkdwn(what)}`,
  );
  const blocks: Block[] = [];
  if (problem !== null) {
    blocks.push(
      section(`Sorry, I did not understand \`${escapeMrkdwn(truncateArg(text))}\`: ${problem}`),
    );
  }
  blocks.push(section(`*What ${commandName} can answer*\n${lines.join('\n')}`));
  return {
    text: problem === null ? `${commandName} help` : `${commandName}: ${problem}`,
    blocks: capBlocks(blocks),
  };
}

function truncateArg(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function errorMessage(error: unknown): ChatMessage {
  const text = isAppError(error)
    ? error.userMessage
    : 'Something went wrong while computing that answer; it has been logged.';
  return { text, blocks: [section(`:warning: ${escapeMrkdwn(text)}`)] };
}

const noEmailMessage: ChatMessage = {
  text: 'No email on your Slack profile',
  blocks: [
    section(
      `Slack has no email for you, so I cannot match you to BigQuery jobs (they are attributed by email). Try \`${commandName} top users\` instead.`,
    ),
  ],
};

export function renderAnswer(answer: QueryAnswer | ChatMessage): ChatMessage {
  if (!('kind' in answer)) return answer;
  switch (answer.kind) {
    case 'summary':
      return renderSummary(answer);
    case 'top':
      return renderTop(answer);
    case 'recs':
      return renderRecs(answer);
    case 'anomalies':
      return renderAnomalies(answer);
    case 'rec':
      return renderRec(answer);
    case 'table':
      return renderTable(answer);
    case 'check':
      return renderCheck(answer);
    case 'query':
      return renderLookup(answer);
    case 'me':
      return renderMe(answer);
  }
}

function windowText(window: { start: Date; end: Date }): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const last = new Date(window.end.getTime() - 1);
  return `${day(window.start)} – ${day(last)} (UTC)`;
}

function renderSummary(a: SummaryAnswer): ChatMessage {
  const total = a.onDemandUsd + a.capacityUsd;
  const change =
    a.previousUsd > 0
      ? ` (${total >= a.previousUsd ? '+' : ''}${(((total - a.previousUsd) / a.previousUsd) * 100).toFixed(0)}% vs the previous ${a.period})`
      : '';
  const title = `BigQuery spend, ${a.period}`;
  const blocks = [
    header(title),
    section(
      [
        `*Total:* ${usd(total)}${change}`,
        `*On-demand:* ${usd(a.onDemandUsd)}   *Capacity:* ${usd(a.capacityUsd)}`,
        `*Storage:* ${usd(a.storageUsdPerMonth)} per month   *Jobs:* ${a.jobs.toLocaleString('en-US')}`,
        `*Daily:* \`${sparkline(a.daily.map((d) => d.onDemandUsd + d.capacityUsd))}\``,
      ].join('\n'),
    ),
    context(windowText(a.window)),
  ];
  return { text: `${title}: ${usd(total)}`, blocks: capBlocks(blocks) };
}

function renderTop(a: TopAnswer): ChatMessage {
  const title = `Top ${a.dimension}, ${a.period}`;
  if (a.rows.length === 0)
    return { text: title, blocks: [header(title), section('No spend in this period.')] };
  const lines = a.rows.map(
    (r, i) =>
      `${i + 1}. \`${escapeMrkdwn(r.key || '(none)')}\` — ${usd(r.onDemandUsd + r.capacityUsd)} · ${r.jobs.toLocaleString('en-US')} jobs`,
  );
  const blocks = [header(title), section(lines.join('\n')), context(windowText(a.window))];
  return { text: title, blocks: capBlocks(blocks) };
}

function renderRecs(a: RecsAnswer): ChatMessage {
  const noun = a.mine === null ? 'Recommendations' : 'Your recommendations';
  const title = a.recKind === null ? noun : `${noun}: ${a.recKind}`;
  if (a.recommendations.length === 0)
    return {
      text: `${title} (0)`,
      blocks: [
        header(title),
        section(
          a.mine === null
            ? 'No open recommendations.'
            : 'Nothing open that you own. Owners come from the routing file (projects, datasets, tables, labels, users).',
        ),
      ],
    };
  const blocks: Block[] = [header(title)];
  for (const r of a.recommendations) {
    const state = a.mine?.states[r.id];
    const channel = a.mine?.channels[r.id];
    const where =
      state === undefined
        ? ''
        : ` · ${state.state === 'snoozed' && state.snoozeUntil ? `snoozed until ${state.snoozeUntil.toISOString().slice(0, 10)}` : state.state}${channel && /^[CG][A-Z0-9]+$/.test(channel) ? ` · card in <#${channel}>` : ''}`;
    blocks.push(
      section(
        `*${escapeMrkdwn(r.summary)}*\n${escapeMrkdwn(r.kind)} · \`${escapeMrkdwn(r.target)}\` · saves ${usd(r.monthlySavingsUsd)} per month · ${r.confidence} confidence${where}\n\`${escapeMrkdwn(r.id)}\``,
      ),
    );
  }
  blocks.push(divider(), context(`${a.recommendations.length} of ${a.total} shown, largest first`));
  return { text: `${title} (${a.total})`, blocks: capBlocks(blocks) };
}

function renderAnomalies(a: AnomaliesAnswer): ChatMessage {
  const title = 'Cost anomalies';
  if (a.anomalies.length === 0)
    return {
      text: `${title} (0)`,
      blocks: [header(title), section('No anomalies in the last 30 days.')],
    };
  const lines = a.anomalies.map(
    (x) =>
      `• *${escapeMrkdwn(x.day)}* \`${escapeMrkdwn(x.scope)}\` — ${usd(x.usd)} vs ${usd(x.expectedUsd)} expected (${escapeMrkdwn(x.severity)})`,
  );
  const blocks = [
    header(title),
    section(lines.join('\n')),
    context(`${a.anomalies.length} of ${a.total} shown`),
  ];
  return { text: `${title} (${a.total})`, blocks: capBlocks(blocks) };
}

/** A code block whose (escaped) content keeps the section within Slack's limit. */
function codeBlock(code: string, budget: number): string {
  const escaped = escapeMrkdwn(code.replace(/```/g, '`\u200b``'));
  return `\`\`\`${truncate(escaped, Math.max(budget - 6, 20))}\`\`\``;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
}

function costLineText(line: CostLine): string {
  const quantity =
    line.quantity === null
      ? 'unknown'
      : line.quantity.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return `• ${escapeMrkdwn(line.label)}: ${quantity} ${escapeMrkdwn(line.unit)} × ${usd(line.unitPriceUsd)} = ${usd(line.usd)}`;
}

function renderRec(a: RecAnswer): ChatMessage {
  const r = a.recommendation;
  if (r === null) {
    const hints = a.suggestions.map(
      (s) => `• \`${escapeMrkdwn(s.id)}\` — ${escapeMrkdwn(s.summary)}`,
    );
    const text = `No open recommendation has the id \`${escapeMrkdwn(truncate(a.id, 200))}\`.`;
    const body =
      hints.length === 0
        ? `${text} There are no open recommendations right now.`
        : `${text} Try \`${commandName} recs\` for the list; the largest are:\n${hints.join('\n')}`;
    return { text: 'No such recommendation', blocks: [section(body)] };
  }
  const evidence = record(r.evidence);
  const fix = record(r.fix);
  const lines = Array.isArray(evidence.costLines) ? (evidence.costLines as CostLine[]) : [];
  const blocks: Block[] = [
    header(r.summary),
    section(
      [
        `*Kind:* ${escapeMrkdwn(r.kind)}${r.rule ? ` (${escapeMrkdwn(r.rule)})` : ''}`,
        `*Target:* \`${escapeMrkdwn(r.target)}\``,
        `*Saves:* ${usd(r.monthlySavingsUsd)} per month   *Confidence:* ${r.confidence}`,
      ].join('\n'),
    ),
  ];
  const how = [
    typeof evidence.method === 'string' ? `*Method:* ${escapeMrkdwn(evidence.method)}` : '',
    ...lines.slice(0, 20).map(costLineText),
  ].filter(Boolean);
  if (how.length > 0) blocks.push(section(how.join('\n')));
  const assumptions = strings(evidence.assumptions);
  if (assumptions.length > 0)
    blocks.push(
      section(`*Assumptions:*\n${assumptions.map((x) => `• ${escapeMrkdwn(x)}`).join('\n')}`),
    );
  const fixHead =
    typeof fix.summary === 'string' ? `*Fix:* ${escapeMrkdwn(fix.summary)}\n` : '*Fix:*\n';
  if (typeof fix.sql === 'string')
    blocks.push(section(`${fixHead}${codeBlock(fix.sql, maxSectionChars - fixHead.length)}`));
  else if (typeof fix.summary === 'string') blocks.push(section(fixHead));
  const steps = strings(fix.steps);
  if (steps.length > 0)
    blocks.push(
      section(`*Steps:*\n${steps.map((x, i) => `${i + 1}. ${escapeMrkdwn(x)}`).join('\n')}`),
    );
  blocks.push(context(`id \`${escapeMrkdwn(r.id)}\``));
  return { text: `${r.summary}: ${usd(r.monthlySavingsUsd)} per month`, blocks: capBlocks(blocks) };
}

function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${units[unit]}`;
}

function renderTable(a: TableAnswer): ChatMessage {
  const title = `Table ${a.table}`;
  const name = `\`${escapeMrkdwn(a.table)}\``;
  if (
    a.storage === null &&
    a.usage === null &&
    a.readers === null &&
    a.recommendations.length === 0
  )
    return {
      text: `${title}: not found`,
      blocks: [
        section(
          `I know nothing of ${name}: it is not in the storage snapshot and no job in the analysed window read or wrote it. Check the name (\`project.dataset.table\`).`,
        ),
      ],
    };
  const when = (d: Date | null) =>
    d === null ? 'never' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const lines = [
    a.storage === null
      ? '*Storage:* unknown (not in the storage snapshot)'
      : `*Storage:* ${bytesText(a.storage.totalLogicalBytes)} logical, ${bytesText(a.storage.totalPhysicalBytes)} physical · ${escapeMrkdwn(a.storage.model)} billing · ${usd(a.storage.usdPerMonth)} per month`,
    a.usage === null
      ? '*Reads:* 0   *Writes:* 0'
      : `*Reads:* ${a.usage.reads.toLocaleString('en-US')} on ${a.usage.readDays} days (last ${when(a.usage.lastRead)})   *Writes:* ${a.usage.writes.toLocaleString('en-US')} (last ${when(a.usage.lastWrite)})`,
    a.readers === null
      ? '*Queries reading it:* no on-demand cost'
      : `*Queries reading it:* ${usd(a.readers.onDemandUsd)} on demand · ${a.readers.jobs.toLocaleString('en-US')} jobs`,
  ];
  const blocks: Block[] = [header(title), section(lines.join('\n'))];
  if (a.recommendations.length > 0) {
    blocks.push(divider());
    for (const r of a.recommendations.slice(0, 10))
      blocks.push(
        section(
          `*${escapeMrkdwn(r.summary)}*\n${escapeMrkdwn(r.kind)} · saves ${usd(r.monthlySavingsUsd)} per month · ${r.confidence} confidence · \`${commandName} rec ${escapeMrkdwn(r.id)}\``,
        ),
      );
  }
  blocks.push(context(`Reads, writes and query cost over ${windowText(a.window)}`));
  return { text: title, blocks: capBlocks(blocks) };
}

function renderCheck(a: CheckAnswer): ChatMessage {
  const title = 'SQL check';
  const blocks: Block[] = [header(title)];
  if (!a.parsed)
    blocks.push(
      section(
        `:warning: I could not parse this SQL: ${escapeMrkdwn(truncate(a.error ?? '', 1000))}`,
      ),
    );
  else if (a.findings.length === 0) blocks.push(section(':white_check_mark: No lint findings.'));
  else
    blocks.push(
      section(
        `*Lint findings (${a.findings.length})*\n${a.findings
          .slice(0, 20)
          .map((f) => `• line ${f.line}: \`${f.rule}\` — ${escapeMrkdwn(f.message)}`)
          .join('\n')}`,
      ),
    );
  const tables = a.tables
    .slice(0, 20)
    .map(
      (t) =>
        `• \`${escapeMrkdwn(t.table)}\` — ${t.totalLogicalBytes === null ? 'size unknown' : bytesText(t.totalLogicalBytes)}`,
    );
  const known = a.estimateUsd !== null && a.estimateBytes !== null;
  let estimate: string;
  let basis: string;
  if (a.estimateMethod === 'dry_run') {
    estimate =
      a.rejected !== null
        ? `*Estimate:* none — BigQuery's dry run rejected the statement: ${escapeMrkdwn(truncate(a.rejected, 1000))}`
        : known
          ? `*Estimate:* ${usd(a.estimateUsd)} on demand (dry run: ${bytesText(a.estimateBytes ?? 0)} processed)`
          : '*Estimate:* unknown';
    basis =
      'BigQuery dry run: the bytes the statement would process, priced on demand (BigQuery bills at least 10 MB per table referenced). Nothing was run.';
  } else {
    estimate = known
      ? `*Estimate:* at most ${usd(a.estimateUsd)} on demand (${bytesText(a.estimateBytes ?? 0)} scanned)`
      : '*Estimate:* unknown (no referenced table is in the storage snapshot)';
    basis =
      a.dryRunNote === null
        ? "Upper bound: a full scan of the referenced tables. BigQuery's dry run gives the exact figure in production."
        : `Upper bound: a full scan of the referenced tables, because the dry run was not possible: ${escapeMrkdwn(truncate(a.dryRunNote, 1000))}`;
  }
  blocks.push(section([estimate, ...tables].join('\n')), context(basis));
  const cost =
    a.estimateMethod === 'dry_run'
      ? a.rejected !== null
        ? 'rejected by BigQuery'
        : `${usd(a.estimateUsd)} (dry run)`
      : `at most ${usd(a.estimateUsd)}`;
  const summary = a.parsed ? `${a.findings.length} findings, ${cost}` : 'unparseable SQL';
  return { text: `${title}: ${summary}`, blocks: capBlocks(blocks) };
}

function renderLookup(a: QueryLookupAnswer): ChatMessage {
  const ref = `\`${escapeMrkdwn(a.ref)}\``;
  if (a.job === null && a.pattern === null)
    return {
      text: `Nothing found for ${a.ref}`,
      blocks: [
        section(
          `No job has the id ${ref}, and no query shape with that hash is among the costliest ${lookupPatternLimit} of ${windowText(a.window)}. Try \`${commandName} top queries\` for hashes.`,
        ),
      ],
    };
  const blocks: Block[] = [];
  if (a.job !== null) {
    const j = a.job;
    const head = [
      `*Job* ${ref}`,
      `*Created:* ${j.creationTime.toISOString().slice(0, 19).replace('T', ' ')} UTC   *Project:* \`${escapeMrkdwn(j.projectId)}\``,
      `*User:* ${escapeMrkdwn(j.userEmail ?? 'unknown')}   *Statement:* ${escapeMrkdwn(j.statementType ?? 'unknown')}`,
      `*Bytes billed:* ${j.bytesBilled === null ? 'unknown' : bytesText(j.bytesBilled)} (${usd(j.onDemandUsd)} at the on-demand price)   *Slot time:* ${j.slotMs === null ? 'unknown' : `${(j.slotMs / 3_600_000).toLocaleString('en-US', { maximumFractionDigits: 3 })} slot-hours`}`,
      `*Hash:* ${j.queryHash === null ? 'none' : `\`${escapeMrkdwn(j.queryHash)}\``}`,
    ].join('\n');
    blocks.push(header('Query job'), section(head));
    if (j.query !== null) blocks.push(section(codeBlock(j.query, maxSectionChars)));
  }
  if (a.pattern !== null) {
    const p = a.pattern;
    blocks.push(
      header('Query shape'),
      section(
        [
          `*Hash:* \`${escapeMrkdwn(p.hash)}\``,
          `*Runs:* ${p.runs.toLocaleString('en-US')}   *On-demand:* ${usd(p.onDemandUsd)}   *Reservation:* ${p.reservationSlotHours.toLocaleString('en-US', { maximumFractionDigits: 2 })} slot-hours`,
          `*Users:* ${p.distinctUsers.toLocaleString('en-US')} (latest: ${escapeMrkdwn(p.lastUser ?? 'unknown')})`,
        ].join('\n'),
      ),
    );
    if (a.job === null && p.sampleQuery !== null)
      blocks.push(section(`*Latest SQL:*\n${codeBlock(p.sampleQuery, maxSectionChars - 20)}`));
    blocks.push(
      section(
        p.findings.length === 0
          ? '*Lint:* no findings'
          : `*Lint (${p.findings.length}):*\n${p.findings
              .slice(0, 20)
              .map((f) => `• line ${f.line}: \`${f.rule}\` — ${escapeMrkdwn(f.message)}`)
              .join('\n')}`,
      ),
    );
  }
  blocks.push(context(`Shape totals over ${windowText(a.window)}`));
  return { text: `${commandName} query ${a.ref}`, blocks: capBlocks(blocks) };
}

function renderMe(a: MeAnswer): ChatMessage {
  const title = `Your BigQuery spend, ${a.period}`;
  const who = escapeMrkdwn(a.email);
  if (a.row === null)
    return {
      text: title,
      blocks: [
        header(title),
        section(
          `No billed jobs ran as ${who} in this period. If you run queries under another identity (a service account), try \`${commandName} top users\`.`,
        ),
        context(windowText(a.window)),
      ],
    };
  const mine = a.row.onDemandUsd + a.row.capacityUsd;
  const share =
    a.totalUsd > 0 ? ` (${((mine / a.totalUsd) * 100).toFixed(1)}% of ${usd(a.totalUsd)})` : '';
  const blocks = [
    header(title),
    section(
      [
        `*${who}:* ${usd(mine)}${share}`,
        `*On-demand:* ${usd(a.row.onDemandUsd)}   *Capacity:* ${usd(a.row.capacityUsd)} (${a.row.slotHours.toLocaleString('en-US', { maximumFractionDigits: 2 })} slot-hours)`,
        `*Jobs:* ${a.row.jobs.toLocaleString('en-US')}   *Rank:* ${a.rank} of ${a.users} users`,
      ].join('\n'),
    ),
    context(windowText(a.window)),
  ];
  return { text: `${title}: ${usd(mine)}`, blocks: capBlocks(blocks) };
}
