// Index lab: typed wrappers over the lab commands (src-tauri/src/commands/lab.rs).

import { channel, invokeCommand } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { BenchOptions } from "../../gen/BenchOptions.js";
import type { HandlerBench } from "../../gen/HandlerBench.js";
import type { LabDataSet as DataSet } from "../../gen/LabDataSet.js";
import type { LabOverview as Overview } from "../../gen/LabOverview.js";
import type { LabProgress as Progress } from "../../gen/LabProgress.js";
import type { LabRun } from "../../gen/LabRun.js";
import type { RunOptions } from "../../gen/RunOptions.js";
import type { RunSummary } from "../../gen/RunSummary.js";
export type { IndexKind } from "../../gen/IndexKind.js";
export type { Bilingual } from "../../gen/Bilingual.js";
export type { LabProgress as Progress } from "../../gen/LabProgress.js";
export type { LabCounts as Counts } from "../../gen/LabCounts.js";
export type { LabDataSet as DataSet } from "../../gen/LabDataSet.js";
export type { LabQueryInfo as QueryInfo } from "../../gen/LabQueryInfo.js";
export type { RunSummary } from "../../gen/RunSummary.js";
export type { LabOverview as Overview } from "../../gen/LabOverview.js";
export type { Latency } from "../../gen/Latency.js";
export type { ExplainStats } from "../../gen/ExplainStats.js";
export type { VariantResult } from "../../gen/VariantResult.js";
export type { Verdict } from "../../gen/Verdict.js";
export type { QueryResult } from "../../gen/QueryResult.js";
export type { RunOptions } from "../../gen/RunOptions.js";
export type { LabRun } from "../../gen/LabRun.js";
export type { HandlerResult } from "../../gen/HandlerResult.js";
export type { HandlerBench } from "../../gen/HandlerBench.js";
export type { BenchOptions } from "../../gen/BenchOptions.js";

export const labApi = {
  overview: () => invokeCommand<Overview>("lab_overview"),
  generate: (scale: number, seed: number, onProgress: (p: Progress) => void) =>
    invokeCommand<DataSet>("lab_generate", { scale, seed, onProgress: channel(onProgress) }),
  run: (options: Partial<RunOptions>, onProgress: (p: Progress) => void) =>
    invokeCommand<LabRun>("lab_run", { options, onProgress: channel(onProgress) }),
  bench: (options: Partial<BenchOptions>, onProgress: (p: Progress) => void) =>
    invokeCommand<HandlerBench>("lab_bench", { options, onProgress: channel(onProgress) }),
  cancel: () => invokeCommand<null>("lab_cancel"),
  runs: () => invokeCommand<RunSummary[]>("lab_runs"),
  getRun: (id: string | null) => invokeCommand<LabRun>("lab_get_run", { id }),
  latestBench: () => invokeCommand<HandlerBench | null>("lab_latest_bench"),
  exportReport: (id: string | null, lang: string) => invokeCommand<string | null>("lab_export_report", { id, lang }),
  /** The presentation and the IT department's report (FR and EN), from the saved runs. */
  generateDocuments: () => invokeCommand<string[] | null>("report_generate"),
};
