// Social: shared moments, imported and fetched posts, analysis and wall (commands in
// src-tauri/src/commands/social.rs).
import { channel, invokeCommand as invoke } from "../../shared/api.js";

// Types generated from the Rust types (ts-rs, `cargo test` refreshes ui/src/gen/).
import type { Exported } from "../../gen/Exported.js";
import type { FetchOptions } from "../../gen/FetchOptions.js";
import type { FetchReport } from "../../gen/FetchReport.js";
import type { FetchSettings } from "../../gen/FetchSettings.js";
import type { ImportProgress as Progress } from "../../gen/ImportProgress.js";
import type { MomentInput } from "../../gen/MomentInput.js";
import type { Platform } from "../../gen/Platform.js";
import type { Post } from "../../gen/Post.js";
import type { SharedMoment } from "../../gen/SharedMoment.js";
import type { SocialAnalysis as Analysis } from "../../gen/SocialAnalysis.js";
import type { SocialImportReport as ImportReport } from "../../gen/SocialImportReport.js";
import type { SocialShared as Shared } from "../../gen/SocialShared.js";
export type { MomentInput } from "../../gen/MomentInput.js";
export type { Moment } from "../../gen/Moment.js";
export type { Platform } from "../../gen/Platform.js";
export type { Sharer } from "../../gen/Sharer.js";
export type { SharedMoment } from "../../gen/SharedMoment.js";
export type { SocialShared as Shared } from "../../gen/SocialShared.js";
export type { ImportProgress as Progress } from "../../gen/ImportProgress.js";
export type { RecordError } from "../../gen/RecordError.js";
export type { SocialImportReport as ImportReport } from "../../gen/SocialImportReport.js";
export type { FetchOptions } from "../../gen/FetchOptions.js";
export type { FetchSettings } from "../../gen/FetchSettings.js";
export type { FetchReport } from "../../gen/FetchReport.js";
export type { VolumePoint } from "../../gen/VolumePoint.js";
export type { KeyCount } from "../../gen/KeyCount.js";
export type { AuthorRow } from "../../gen/AuthorRow.js";
export type { MentionRow } from "../../gen/MentionRow.js";
export type { SocialAnalysis as Analysis } from "../../gen/SocialAnalysis.js";
export type { Post } from "../../gen/Post.js";
export type { Exported } from "../../gen/Exported.js";

export type PlatformName = Platform["kind"];

/** What `social_fetch` needs; the other options keep the backend's defaults. */
export type FetchRequest = Pick<FetchOptions, "instance" | "tag" | "pages"> & Partial<FetchOptions>;

export const socialApi = {
  compose: (moment: MomentInput) => invoke<string>("social_compose", { moment }),
  share: (eventId: string, platform: Platform, moment: MomentInput) => invoke<Shared>("social_share", { eventId, platform, moment }),
  moments: (eventId: string) => invoke<SharedMoment[]>("social_moments", { eventId }),
  pickFile: () => invoke<string | null>("social_pick_file"),
  import: (eventId: string, path: string, onProgress: (p: Progress) => void) =>
    invoke<ImportReport>("social_import", { eventId, path, options: null, onProgress: channel(onProgress) }),
  importCancel: () => invoke<null>("social_import_cancel"),
  fetchSettings: () => invoke<FetchSettings>("social_fetch_settings"),
  fetch: (eventId: string, options: FetchRequest, onProgress: (p: Progress) => void) =>
    invoke<FetchReport>("social_fetch", { eventId, options, onProgress: channel(onProgress) }),
  fetchCancel: () => invoke<null>("social_fetch_cancel"),
  analysis: (eventId: string) => invoke<Analysis>("social_analysis", { eventId }),
  wall: (eventId: string, limit = 30) => invoke<Post[]>("social_wall", { eventId, limit }),
  exportCsv: (eventId: string) => invoke<Exported | null>("social_export_csv", { eventId }),
};
