import {
  matchRoutes,
  parseRoutingConfig,
  scopeSubjects,
  subjectsOf,
  type RoutingConfig,
  type RoutingTarget,
  type Subject,
} from '../domain/routing.js';
import { badInput } from '../errors.js';
import type { Chat } from '../ports/chat.js';

// Where a recommendation's card or an anomaly's alert goes, and whose it is. The rules come from
// the routing file; owners written as emails become Slack ids through users.lookupByEmail (the
// Chat adapter caches answers, "no such user" included). An email Slack does not know is left
// out and reported, never guessed; any other lookup failure surfaces to the caller.

export interface OwnerRoute {
  channelId: string;
  ownerSlackIds: string[];
  /** Owner emails no Slack user has: worth a warning, the routing file is out of date. */
  unresolvedOwners: string[];
  /** Matching rules, most specific first; empty = the default channel. */
  matched: string[];
}

export interface OwnerRouter {
  route(target: RoutingTarget): Promise<OwnerRoute>;
  /** An anomaly scope alone (`project:<id>` …): the escalation knows only the scope. */
  routeScope(scope: string): Promise<OwnerRoute>;
}

/** The routing file's text → config; a bad file stops the start with every problem named. */
export function routingConfigFrom(text: string, source: string): RoutingConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badInput(
      'routing.unreadable',
      `routing file ${source}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = parseRoutingConfig(json);
  if (!parsed.ok) {
    throw badInput('routing.invalid', `routing file ${source}: ${parsed.problems.join('; ')}`);
  }
  return parsed.config;
}

export function createOwnerRouter(deps: {
  config: RoutingConfig;
  chat: Pick<Chat, 'lookupUserByEmail'>;
}): OwnerRouter {
  const resolve = async (subjects: Subject[]): Promise<OwnerRoute> => {
    const match = matchRoutes(deps.config, subjects);
    const ids = await Promise.all(
      match.ownerRefs.map(async (ref) =>
        ref.includes('@') ? { ref, id: await deps.chat.lookupUserByEmail(ref) } : { ref, id: ref },
      ),
    );
    const ownerSlackIds = [...new Set(ids.flatMap((o) => (o.id === null ? [] : [o.id])))];
    return {
      channelId: match.channel ?? deps.config.defaultChannel,
      ownerSlackIds,
      unresolvedOwners: ids.filter((o) => o.id === null).map((o) => o.ref),
      matched: match.matched,
    };
  };
  return {
    route: (target) => resolve(subjectsOf(target)),
    routeScope: (scope) => resolve(scopeSubjects(scope)),
  };
}
