import type { Analyzer } from '../src/domain/context.js';
import { capBytesBilled } from './cap-bytes-billed.js';
import { clusterTable } from './cluster-table.js';
import { costAnomalies } from './cost-anomalies.js';
import { expireUnusedTable } from './expire-unused-table.js';
import { materializeRepeatedQuery } from './materialize-repeated-query.js';
import { partitionTable } from './partition-table.js';
import { patternRegression } from './pattern-regression.js';
import { pricingModel } from './pricing-model.js';
import { requirePartitionFilter } from './require-partition-filter.js';
import { sqlAntipattern } from './sql-antipattern.js';
import { storageBillingModel } from './storage-billing-model.js';

// The analyzer registry: explicit and sorted by id. Each entry is one file analyzers/<id>.ts
// with one test test/analyzers/<id>.test.ts (a parity test checks all three agree).

export const analyzers: readonly Analyzer[] = [
  capBytesBilled,
  clusterTable,
  costAnomalies,
  expireUnusedTable,
  materializeRepeatedQuery,
  partitionTable,
  patternRegression,
  pricingModel,
  requirePartitionFilter,
  sqlAntipattern,
  storageBillingModel,
];
