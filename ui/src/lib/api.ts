// The one module that talks to the Rust side: every `invoke` and event is typed here.
// The shapes are the core's serde output (the same JSON `quiver --json` prints).

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export interface ApiError {
  code: string;
  message: string;
  /** The input field a user error is about. */
  field?: string;
}

/** Whatever `invoke` rejected with, as a message a person can read. */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as ApiError).message);
  return String(e);
}

// The shapes that cross from Rust are generated from the Rust types (ts-rs, into
// ./bindings by `cargo test`); CI fails when the committed copies are stale.
import type { Hit } from "./bindings/Hit";
import type { ReportName } from "./bindings/ReportName";
import type { Summary } from "./bindings/Summary";
import type { IndexReport } from "./bindings/IndexReport";
import type { Rep } from "./bindings/Rep";
import type { Status } from "./bindings/Status";
import type { SearchOutput } from "./bindings/SearchOutput";
import type { Location } from "./bindings/Location";
import type { OpenAck } from "./bindings/OpenAck";
import type { Preview } from "./bindings/Preview";
import type { AssetDetail } from "./bindings/AssetDetail";
import type { AssetSet } from "./bindings/AssetSet";
import type { Deal } from "./bindings/Deal";
import type { DealInput } from "./bindings/DealInput";
import type { Saved } from "./bindings/Saved";
import type { Reason } from "./bindings/Reason";
import type { Report } from "./bindings/Report";
import type { ReportRequest } from "./bindings/ReportRequest";
import type { ProblemRow } from "./bindings/ProblemRow";
import type { Added } from "./bindings/Added";
import type { ReasonMatch } from "./bindings/ReasonMatch";
import type { KnownDeal } from "./bindings/KnownDeal";
import type { AssetPage } from "./bindings/AssetPage";
import type { Removed } from "./bindings/Removed";

export type { ReasonMatch, KnownDeal, AssetPage };
export type { Hit, ReportName, IndexReport, Rep, Status, Location, OpenAck, Preview, AssetDetail, Deal, DealInput, Reason, Report, ReportRequest, ProblemRow };
export type { Table } from "./bindings/Table";
export type { Column } from "./bindings/Column";
export type { ColumnKind } from "./bindings/ColumnKind";
export type { By } from "./bindings/By";
export type { FacetGroup } from "./bindings/FacetGroup";
export type { Results } from "./bindings/Results";

/** A passage cut into plain and marked parts, from its UTF-8 byte ranges. */
export function snippetParts(h: Hit): { text: string; mark: boolean }[] {
  const bytes = new TextEncoder().encode(h.fragment);
  const dec = new TextDecoder();
  const parts: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const r of h.highlights) {
    if (r.start < at || r.end > bytes.length) continue;
    if (r.start > at) parts.push({ text: dec.decode(bytes.slice(at, r.start)), mark: false });
    parts.push({ text: dec.decode(bytes.slice(r.start, r.end)), mark: true });
    at = r.end;
  }
  if (at < bytes.length) parts.push({ text: dec.decode(bytes.slice(at)), mark: false });
  return parts;
}

export type Filter = [string, string];

export interface IndexProgress {
  phase: "planned" | "read" | "finished" | "demo";
  done: number;
  total: number;
  path: string | null;
}

export interface IndexFinished {
  report: IndexReport | null;
  demo: Summary | null;
  error: ApiError | null;
}

/** Every report, in the order the core lists them (`ReportName::ALL`). */
export const REPORTS = [
  "unused",
  "assets",
  "searches",
  "reasons",
  "stages",
  "influence",
  "coverage",
  "completeness",
  "messaging",
] as const satisfies readonly ReportName[];
// Every report name the core knows is listed above (a compile error otherwise).
const allListed: Exclude<ReportName, (typeof REPORTS)[number]> extends never ? true : false = true;
void allListed;

export const api = {
  status: () => invoke<Status>("status"),
  search: (query: string, filters: Filter[], limit = 30) =>
    invoke<SearchOutput>("search", { input: { query, filters, limit, facets: true, record: false } }),
  recordSearch: (query: string, filters: Filter[], total: number) =>
    invoke<string>("record_search", { query, filters, total }),
  open: (
    target: string,
    opts: { dealId?: string | null; queryId?: string | null; location?: Location | null; preview?: boolean },
  ) =>
    invoke<OpenAck>("open_asset", {
      input: {
        target,
        deal_id: opts.dealId ?? null,
        query_id: opts.queryId ?? null,
        location: opts.location ?? null,
        preview: opts.preview ?? false,
        // A retry of this call records the open once (the core is idempotent by id).
        event_id: crypto.randomUUID(),
      },
    }),
  preview: (assetId: string) => invoke<Preview>("preview", { assetId }),
  assetFile: (assetId: string) => invoke<ArrayBuffer>("asset_file", { assetId }),
  assetDetail: (target: string) => invoke<AssetDetail>("asset_detail", { target }),
  assetPage: (target: string, from?: string, to?: string) =>
    invoke<AssetPage>("asset_page", { target, from: from || null, to: to || null }),
  assetSet: (assetId: string, field: string, value: string) =>
    invoke<AssetSet>("asset_set", { assetId, field, value }),
  deals: () => invoke<Deal[]>("deals"),
  saveDeal: (deal: DealInput, edit: boolean) => invoke<Saved>("deal_save", { deal, edit }),
  findDeals: (text: string) => invoke<KnownDeal[]>("deals_find", { text }),
  setCurrentDeal: (deal: string | null) => invoke<string | null>("current_deal_set", { deal }),
  stages: () => invoke<string[]>("stages"),
  reasons: (includeRetired = false) => invoke<Reason[]>("reasons", { includeRetired }),
  findReasons: (text: string, kind: "buy" | "objection") =>
    invoke<ReasonMatch[]>("reasons_find", { text, kind }),
  addReason: (reason: Pick<Reason, "code" | "label" | "kind" | "category"> & { keywords?: string[] }) =>
    invoke<Reason>("reason_add", { reason }),
  renameReason: (code: string, label: string) => invoke<Reason>("reason_rename", { code, label }),
  retireReason: (code: string) => invoke<Reason>("reason_retire", { code }),
  mergeReason: (old: string, into: string) => invoke<Reason>("reason_merge", { old, into }),
  report: (input: ReportRequest) => invoke<Report>("report", { input }),
  reportCsv: (input: ReportRequest, table: string) =>
    invoke<string | null>("report_csv", { input, table }),
  addFolder: (path: string) => invoke<Added[]>("library_add", { path }),
  removeFolder: (path: string) => invoke<string>("library_remove", { path }),
  indexNow: () => invoke<void>("index_now"),
  problems: () => invoke<ProblemRow[]>("problems"),
  setRep: (rep: Rep) => invoke<Rep>("rep_set", { rep }),
  loadDemo: () => invoke<void>("load_demo"),
  removeDemo: () => invoke<Removed>("demo_remove"),
};

export function onIndexProgress(f: (p: IndexProgress) => void): Promise<UnlistenFn> {
  return listen<IndexProgress>("index-progress", (e) => f(e.payload));
}

export function onIndexFinished(f: (p: IndexFinished) => void): Promise<UnlistenFn> {
  return listen<IndexFinished>("index-finished", (e) => f(e.payload));
}
