/**
 * The build service's contracts (types only): what `dcm serve`, `dcm worker`
 * and their backends (in-process or Redis + BullMQ; a directory store or,
 * later, an S3-compatible one) agree on. The HTTP shapes are in the route
 * schemas; these are the shapes behind them.
 *
 * A *submission* (one POST /dcm/builds) gets its own build id; the work is
 * identified by its *build key*, a sha256 over everything that decides the
 * artifacts (the unpacked repository's files, the CFD, dcm's version, the
 * driver, the toolchain versions). Submissions with the same key share one
 * build and one stored dist.
 */
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";

export type BuildState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** How toolchain steps run: bubblewrap (default), a Podman/Docker container, or directly (trusted code only). */
export type BuildDriver = "sandbox" | "container" | "local";

export interface StageTiming {
  /** `unpack`, `analyze`, `compile:<language>`, `store`… (the build's own stage names). */
  name: string;
  /** ISO 8601. */
  startedAt: string;
  /** Absent while the stage runs. */
  ms?: number;
}

/** One server-sent event (`event:` = type, `data:` = the JSON of the whole object, `id:` = seq). */
export type BuildEvent =
  | { type: "queued"; seq: number; at: string }
  | { type: "stage"; seq: number; at: string; stage: string; phase: "started" | "finished"; ms?: number }
  | { type: "output"; seq: number; at: string; step: string; stream: "stdout" | "stderr"; line: string }
  | { type: "diagnostic"; seq: number; at: string; diagnostic: Diagnostic }
  | {
      type: "state";
      seq: number;
      at: string;
      state: BuildState;
      /** For failed/cancelled: `interrupted`, `cancelled by the submitter`, `wall-time limit`… */
      reason?: string;
      /** True when a succeeded build was answered from the store without building. */
      fromStore?: boolean;
    };

/** An event before the state store numbers it. */
export type NewBuildEvent = BuildEvent extends infer E ? (E extends BuildEvent ? Omit<E, "seq" | "at"> : never) : never;

export interface BuildRecord {
  id: string;
  key: string;
  /** Who submitted it: a stable, non-secret id of the API key (sha256 prefix), never the key. */
  owner: string;
  state: BuildState;
  createdAt: string;
  updatedAt: string;
  stages: StageTiming[];
  diagnostics: Diagnostic[];
  /** Set when succeeded. */
  manifest?: Manifest;
  fromStore?: boolean;
  reason?: string;
  /** The CFD's path inside the repository. */
  cfdPath: string;
  driver: BuildDriver;
}

/** What a worker needs to run one build (put on the queue; JSON). */
export interface BuildJob {
  /** The build key: also the queue's job id, so identical submissions are one job. */
  key: string;
  /** sha256 of the uploaded archive, stored with ArtifactStore.putBlob. */
  archive: string;
  archiveKind: "tar.gz" | "zip";
  /** The CFD's path inside the unpacked repository (an uploaded `cfd` file is written there first). */
  cfdPath: string;
  /** The uploaded CFD's text when it came as its own form field (written at cfdPath, replacing any file). */
  cfdText?: string;
  driver: BuildDriver;
}

export interface DistFile {
  /** Relative, `/`-separated (`client/go.wasm`). */
  path: string;
  size: number;
  sha256: string;
}

/**
 * Content-addressed artifacts: finished dists under their build key, and
 * uploaded archives under their sha256. The directory store is the default;
 * an S3-compatible one implements the same interface.
 */
export interface ArtifactStore {
  hasDist(key: string): Promise<boolean>;
  /** Copies a finished dist folder in under `key`, atomically (readers never see half a dist). */
  putDist(key: string, distDir: string): Promise<void>;
  /** The dist's files (manifest.json among them), or null when the key has no dist. */
  listDist(key: string): Promise<DistFile[] | null>;
  /** A byte range (inclusive end) or the whole file; null when absent. */
  readDistFile(
    key: string,
    path: string,
    range?: { start: number; end: number },
  ): Promise<{ stream: NodeJS.ReadableStream; size: number } | null>;
  /** The whole dist as a reproducible .tar.gz (made once, when the dist is stored), or null when the key has no dist. */
  readDistArchive(key: string): Promise<{ stream: NodeJS.ReadableStream; size: number; sha256: string } | null>;
  putBlob(sha256: string, data: Buffer): Promise<void>;
  getBlob(sha256: string): Promise<Buffer | null>;
}

/** Build records and their event logs: in memory (one process) or in Redis (any node answers for any build). */
export interface BuildStateStore {
  create(record: BuildRecord): Promise<void>;
  get(id: string): Promise<BuildRecord | null>;
  /** Ids of the builds that share a key and are not finished (to fan a job's events out to them). */
  activeByKey(key: string): Promise<string[]>;
  update(id: string, patch: Partial<Omit<BuildRecord, "id" | "key" | "owner" | "createdAt">>): Promise<BuildRecord | null>;
  /** Numbers and stores the event (seq from 1), publishes it to subscribers, returns it. */
  append(id: string, event: NewBuildEvent): Promise<BuildEvent>;
  /** Stored events with seq > afterSeq, in order. */
  events(id: string, afterSeq: number): Promise<BuildEvent[]>;
  /** Live events of one build; returns the unsubscribe function. */
  subscribe(id: string, listener: (e: BuildEvent) => void): Promise<() => Promise<void>>;
  /** Newest first; `cursor` is opaque (from the previous page). */
  listByOwner(owner: string, page: { limit: number; cursor?: string }): Promise<{ items: BuildRecord[]; next?: string }>;
  close(): Promise<void>;
}

/** Reports of one running job, fanned out by the queue to every submission with the job's key. */
export interface JobReporter {
  event(e: NewBuildEvent): Promise<void>;
  stage(s: StageTiming): Promise<void>;
}

/** The outcome of one job. */
export interface JobResult {
  state: "succeeded" | "failed" | "cancelled";
  reason?: string;
  diagnostics: Diagnostic[];
  manifest?: Manifest;
}

/** Runs one job: unpack the archive, build in the chosen driver, put the dist in the store. */
export type RunBuildJob = (job: BuildJob, reporter: JobReporter, signal: AbortSignal) => Promise<JobResult>;

/** Takes jobs to the runner: in process with a concurrency limit, or through BullMQ to `dcm worker` processes. */
export interface BuildQueue {
  /** Queues the job unless a job with its key is already queued or running (then the submission joins it). */
  enqueue(job: BuildJob): Promise<void>;
  /** Stops the job (its toolchain processes are killed). False when the key has no job queued or running. */
  cancel(key: string): Promise<boolean>;
  close(): Promise<void>;
}
