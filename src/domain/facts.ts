// What the warehouse hands back: bounded, aggregated quantities. Dollars are computed from these
// by the pricing context, never inside SQL, so every figure can be traced to its inputs.

export type AttributionDimension = 'user' | 'project' | 'label' | 'query_pattern' | 'table';
export type FactDimension = 'total' | AttributionDimension;

export interface CostFact {
  /** UTC day of creation_time, YYYY-MM-DD. */
  day: string;
  dimension: FactDimension;
  key: string;
  reservationId: string | null;
  edition: string | null;
  jobs: number;
  onDemandBytesBilled: number;
  reservationSlotMs: number;
  /** Slot-ms used by on-demand jobs (not billed; the capacity the same work would need). */
  onDemandSlotMs: number;
}

export interface TableStorageFact {
  projectId: string;
  datasetId: string;
  tableId: string;
  tableType: string | null;
  creationTime: Date | null;
  storageLastModifiedTime: Date | null;
  totalRows: number;
  totalPartitions: number;
  totalLogicalBytes: number;
  activeLogicalBytes: number;
  longTermLogicalBytes: number;
  totalPhysicalBytes: number;
  activePhysicalBytes: number;
  longTermPhysicalBytes: number;
  timeTravelPhysicalBytes: number;
  failSafePhysicalBytes: number;
  /** Raw SCHEMATA_OPTIONS value (may be quoted), null when the option is absent. */
  storageBillingModelOption: string | null;
}

export interface ReservationCapacityFact {
  day: string;
  reservationId: string;
  edition: string | null;
  baselineSlotHours: number;
  autoscaleSlotHours: number;
  minutes: number;
}

export interface TimeWindow {
  start: Date;
  end: Date;
}

export interface DataRange {
  firstCreationTime: Date | null;
  lastCreationTime: Date | null;
  jobs: number;
}
