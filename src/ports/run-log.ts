// The analysis worker's run history (`analysis_runs`): one row per attempt, append-only.

export interface AnalysisRunRecord {
  runId: string;
  /** `org` or `project:<id>`. */
  scope: string;
  windowStart: Date;
  windowEnd: Date;
  outcome: 'succeeded' | 'failed';
  /** Null when the run failed before it counted them. */
  recommendations: number | null;
  anomalies: number | null;
  /** The AppError code of a failed run. */
  errorCode: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface RunLog {
  record(run: AnalysisRunRecord): Promise<void>;
  /** Attempts of one run, oldest first (a redelivered message adds one). */
  attempts(runId: string): Promise<AnalysisRunRecord[]>;
}
