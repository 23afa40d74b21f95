import type { LintRule } from '../../../domain/analysis.js';
import { cteReferencedMultipleTimes } from './cte-referenced-multiple-times.js';
import { distinctOnLargeTable } from './distinct-on-large-table.js';
import { droppedPersistentTable } from './dropped-persistent-table.js';
import { dynamicPredicate } from './dynamic-predicate.js';
import { latestRecordWithAnalyticFunction } from './latest-record-with-analytic-function.js';
import { missingDropTempTable } from './missing-drop-temp-table.js';
import { missingPartitionFilter } from './missing-partition-filter.js';
import { orderByWithoutLimit } from './order-by-without-limit.js';
import { regexpContainsInsteadOfLike } from './regexp-contains-instead-of-like.js';
import type { SqlRule } from './rule.js';
import { selectStar } from './select-star.js';
import { semiJoinWithoutAggregation } from './semi-join-without-aggregation.js';
import { unpartitionedDateFilter } from './unpartitioned-date-filter.js';
import { whereOrder } from './where-order.js';
import { wideDateRange } from './wide-date-range.js';

/** Every rule, in the order of `lintRules` (src/domain/analysis.ts). */
export const sqlRules: readonly SqlRule[] = [
  selectStar,
  semiJoinWithoutAggregation,
  cteReferencedMultipleTimes,
  orderByWithoutLimit,
  regexpContainsInsteadOfLike,
  latestRecordWithAnalyticFunction,
  dynamicPredicate,
  whereOrder,
  missingDropTempTable,
  droppedPersistentTable,
  missingPartitionFilter,
  unpartitionedDateFilter,
  wideDateRange,
  distinctOnLargeTable,
];

export const ruleById: ReadonlyMap<LintRule, SqlRule> = new Map(sqlRules.map((r) => [r.id, r]));
