// Index lab: typed wrappers over the lab commands (src-tauri/src/commands/lab.rs).

import { channel, invokeCommand, type Capabilities } from "../../shared/api.js";

export type IndexKind =
  | "none" | "single" | "compound" | "multikey" | "text" | "partial" | "sparse"
  | "unique" | "ttl" | "wildcard" | "2dsphere" | "hashed";

export interface Bilingual { fr: string; en: string }

export interface Progress { phase: string; step: string; done: number; total: number }

export interface Counts { events: number; participants: number; answers: number; connections: number }

export interface DataSet { scale: number; seed: number; counts: Counts; generated_at: string; seconds: number; cancelled: boolean }

export interface QueryInfo {
  id: string;
  title: Bilingual;
  used_by: Bilingual;
  collection: string;
  shape: string;
  variants: { kind: IndexKind; name: string; definition: string }[];
}

export interface RunSummary { _id: string; started_at: string; scale: number; queries: number; server: string; cancelled: boolean }

export interface Overview {
  lab_database: string;
  data: DataSet | null;
  capabilities: Capabilities;
  catalogue: QueryInfo[];
  runs: RunSummary[];
  min_scale: number;
  max_scale: number;
}

export interface Latency { runs: number; p50_ms: number; p95_ms: number; p99_ms: number; mean_ms: number }

export interface ExplainStats {
  stages: string[];
  access: string;
  indexes: string[];
  keys_examined: number;
  docs_examined: number;
  returned: number;
  server_ms: number;
  in_memory_sort: boolean;
}

export interface VariantResult {
  kind: IndexKind;
  index: string;
  definition: string;
  outcome: "ok" | "unsupported" | "error";
  message: string;
  explain: ExplainStats;
  latency: Latency;
  build_ms: number;
  index_bytes: number;
  inserts_per_s: number;
  docs_out: number;
}

export interface Verdict {
  best: string | null;
  best_kind: IndexKind | null;
  best_definition: string;
  docs_ratio: number;
  speed_ratio: number;
  write_cost_pct: number;
  index_bytes: number;
  en: string;
  fr: string;
}

export interface QueryResult {
  id: string;
  title: Bilingual;
  used_by: Bilingual;
  why: Bilingual;
  collection: string;
  collection_docs: number;
  shape: string;
  variants: VariantResult[];
  verdict: Verdict;
}

export interface RunOptions { queries: string[]; runs: number; warmup: number; write_batch: number }

export interface LabRun {
  _id: string;
  started_at: string;
  seconds: number;
  lab_database: string;
  data: DataSet;
  server: { engine: string; version: string; uri: string; text_search: boolean; hashed_index: boolean };
  machine: { os: string; arch: string; cpus: number; cpu_model: string; memory_gib: number };
  options: RunOptions;
  results: QueryResult[];
  cancelled: boolean;
}

export interface HandlerResult {
  handler: string;
  source: string;
  bare: string;
  size: number;
  clients: number;
  app: Latency;
  driver: Latency;
  ratio_p50: number;
  ratio_p95: number;
  app_ops_per_s: number;
}

export interface HandlerBench {
  _id: string;
  started_at: string;
  seconds: number;
  options: { sizes: number[]; clients: number[]; ops: number; warmup: number; seed: number };
  results: HandlerResult[];
  cancelled: boolean;
}

export const labApi = {
  overview: () => invokeCommand<Overview>("lab_overview"),
  generate: (scale: number, seed: number, onProgress: (p: Progress) => void) =>
    invokeCommand<DataSet>("lab_generate", { scale, seed, onProgress: channel(onProgress) }),
  run: (options: Partial<RunOptions>, onProgress: (p: Progress) => void) =>
    invokeCommand<LabRun>("lab_run", { options, onProgress: channel(onProgress) }),
  bench: (options: { sizes: number[]; clients: number[]; ops: number }, onProgress: (p: Progress) => void) =>
    invokeCommand<HandlerBench>("lab_bench", { options, onProgress: channel(onProgress) }),
  cancel: () => invokeCommand<null>("lab_cancel"),
  runs: () => invokeCommand<RunSummary[]>("lab_runs"),
  getRun: (id: string | null) => invokeCommand<LabRun>("lab_get_run", { id }),
  latestBench: () => invokeCommand<HandlerBench | null>("lab_latest_bench"),
  exportReport: (id: string | null, lang: string) => invokeCommand<string | null>("lab_export_report", { id, lang }),
  /** The presentation and the IT department's report (FR and EN), from the saved runs. */
  generateDocuments: () => invokeCommand<string[] | null>("report_generate"),
};
