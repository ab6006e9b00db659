// The one module that talks to the Rust side: every `invoke` and event is typed here.
// Shapes mirror the core's serde output (the same JSON `quiver --json` prints).

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

export interface Rep {
  name: string;
  email?: string | null;
  team?: string | null;
}

export interface Status {
  data_dir: string;
  schema_version: number;
  library: string[];
  assets: number;
  missing_assets: number;
  files: number;
  problems: number;
  index_documents: number;
  pending_index: number;
  rep: Rep | null;
  current_rep: string;
  indexing: boolean;
}

export interface Location {
  kind: string;
  number: number;
  name?: string | null;
}

export interface Hit {
  asset_id: string;
  title: string;
  path: string;
  also_at?: string[];
  format: string;
  score: number;
  /** The best passage as plain text; `highlights` are UTF-8 byte ranges in it. */
  fragment: string;
  highlights: { start: number; end: number }[];
  location: Location | null;
  expired: boolean;
  expires_on: string | null;
}

export interface Results {
  query: string;
  total: number;
  took_ms: number;
  hits: Hit[];
}

export interface FacetGroup {
  field: string;
  values: { value: string; count: number }[];
}

export interface SearchAnswer extends Results {
  query_id: string | null;
  facets?: FacetGroup[];
}

/** A passage cut into plain and marked parts, from its byte ranges. */
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

export interface OpenAck {
  event_id: string;
  asset_id: string;
  title: string;
  path: string;
  version: string;
  warnings: string[];
}

export interface Section {
  kind: string;
  number: number;
  name: string | null;
  text: string;
}

export interface PreviewText {
  asset_id: string;
  title: string;
  path: string;
  format: string;
  sections: Section[];
}

export interface AssetDetail {
  asset_id: string;
  status: string;
  title: string | null;
  format: string | null;
  product: string | null;
  persona: string | null;
  stage: string | null;
  industry: string | null;
  owner: string | null;
  expires_on: string | null;
  tags: string[];
  folder_tags: string[];
  addresses: string[];
  locations: { path: string; status: string; current: boolean }[];
}

export interface ReasonEntry {
  code: string;
  note?: string | null;
}

export interface Deal {
  deal_id: string;
  name?: string | null;
  account?: string | null;
  rep: string;
  outcome: string;
  close_date: string;
  amount?: number | null;
  currency?: string | null;
  competitor?: string | null;
  stage?: string | null;
  industry?: string | null;
  size?: string | null;
  region?: string | null;
  reasons: ReasonEntry[];
}

export interface Reason {
  code: string;
  label: string;
  kind: "buy" | "objection" | "any";
  category: string;
  description: string;
  keywords: string[];
  low_quality: boolean;
  status: string;
  merged_into?: string | null;
}

export interface Table {
  name: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface Report {
  report: string;
  from: string | null;
  to: string;
  by: string | null;
  summary: Record<string, unknown>;
  notes: string[];
  tables: Table[];
}

export interface ReportInput {
  name: string;
  from?: string | null;
  to?: string | null;
  by?: string | null;
  anonymize?: boolean;
  limit?: number | null;
}

export interface Problem {
  path: string;
  kind: string;
  reason: string;
  at: string;
}

export interface Failure {
  path: string;
  kind: string;
  reason: string;
}

export interface IndexReport {
  indexed: number;
  unchanged: number;
  missing: number;
  failed: Failure[];
  warnings: Failure[];
  took_ms: number;
}

export interface IndexProgress {
  phase: "planned" | "read" | "finished" | "demo";
  done: number;
  total: number;
  path: string | null;
}

export interface IndexFinished {
  report: IndexReport | null;
  demo: { assets: number; events: number; deals: number; signals: string[] } | null;
  error: ApiError | null;
}

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
] as const;

export const api = {
  status: () => invoke<Status>("status"),
  search: (query: string, filters: Filter[], limit = 30) =>
    invoke<SearchAnswer>("search", { input: { query, filters, limit, facets: true, record: false } }),
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
      },
    }),
  preview: (assetId: string) => invoke<PreviewText>("preview", { assetId }),
  assetFile: (assetId: string) => invoke<ArrayBuffer>("asset_file", { assetId }),
  assetDetail: (target: string) => invoke<AssetDetail>("asset_detail", { target }),
  assetSet: (assetId: string, field: string, value: string) =>
    invoke<AssetDetail & { search_updated: boolean }>("asset_set", { assetId, field, value }),
  deals: () => invoke<Deal[]>("deals"),
  saveDeal: (deal: Deal, edit: boolean) =>
    invoke<{ change: string; deal: Deal }>("deal_save", { deal, edit }),
  stages: () => invoke<string[]>("stages"),
  reasons: (includeRetired = false) => invoke<Reason[]>("reasons", { includeRetired }),
  addReason: (reason: Pick<Reason, "code" | "label" | "kind" | "category"> & { keywords?: string[] }) =>
    invoke<Reason>("reason_add", { reason }),
  renameReason: (code: string, label: string) => invoke<Reason>("reason_rename", { code, label }),
  retireReason: (code: string) => invoke<Reason>("reason_retire", { code }),
  mergeReason: (old: string, into: string) => invoke<Reason>("reason_merge", { old, into }),
  report: (input: ReportInput) => invoke<Report>("report", { input }),
  reportCsv: (input: ReportInput, table: string, path: string) =>
    invoke<void>("report_csv", { input, table, path }),
  addFolder: (path: string) => invoke<{ path: string; status: string }[]>("library_add", { path }),
  removeFolder: (path: string) => invoke<string>("library_remove", { path }),
  indexNow: () => invoke<void>("index_now"),
  problems: () => invoke<Problem[]>("problems"),
  setRep: (rep: Rep) => invoke<Rep>("rep_set", { rep }),
  loadDemo: () => invoke<void>("load_demo"),
};

export function onIndexProgress(f: (p: IndexProgress) => void): Promise<UnlistenFn> {
  return listen<IndexProgress>("index-progress", (e) => f(e.payload));
}

export function onIndexFinished(f: (p: IndexFinished) => void): Promise<UnlistenFn> {
  return listen<IndexFinished>("index-finished", (e) => f(e.payload));
}
