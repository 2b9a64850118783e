/**
 * What the build service does, apart from HTTP: take a submission (check the
 * archive and the CFD, compute the build key, answer from the store or queue
 * the job), cancel, pack a dist. The routes (http/build-routes.ts) call it;
 * the backends come in as the contracts of service-types.ts, so `dcm serve`
 * passes the directory store, the file state store and the in-process queue,
 * and `dcm serve --redis` its Redis state store and BullMQ queue.
 */
import { createHash } from "node:crypto";
import { parseDocument } from "yaml";
import { distPathProblem } from "../../runtime/abi/dist-paths.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { dcmError } from "../../runtime/diagnostics/catalog.js";
import { type ArchiveLimits, archiveKindOf, checkArchive } from "./archive/unpack-archive.js";
import { buildKey, type LanguageSurvey } from "./build-key.js";
import { newBuildId } from "./state/file-state.js";
import type {
  ArtifactStore,
  BuildDriver,
  BuildJob,
  BuildQueue,
  BuildRecord,
  BuildStateStore,
} from "./service-types.js";

export interface Submission {
  owner: string;
  archive: Buffer;
  /** The uploaded CFD file's text. */
  cfdText?: string;
  /** Its path in the repository (default `dcm.yaml` when the CFD is uploaded). */
  cfdPath?: string;
}

export interface CoreOptions {
  store: ArtifactStore;
  state: BuildStateStore;
  queue: BuildQueue;
  driver: BuildDriver;
  languages: LanguageSurvey[];
  version: string;
  archiveLimits?: Partial<ArchiveLimits>;
  /** How long DELETE waits for the build's processes to be gone, ms (default 20 s). */
  cancelWaitMs?: number;
}

export const DEFAULT_CFD_PATH = "dcm.yaml";
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/** A CFD must be a YAML mapping; anything else is refused before it is queued. */
function checkYaml(text: string, where: string): void {
  const doc = parseDocument(text, { prettyErrors: false });
  const e = doc.errors[0];
  if (e) {
    const at = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
    throw dcmError("DCM_SERVICE_CFD_NOT_YAML", `${where}${at}: ${e.message.split("\n")[0]}`);
  }
  const top = doc.toJS() as unknown;
  if (top === null || typeof top !== "object" || Array.isArray(top))
    throw dcmError("DCM_SERVICE_CFD_NOT_YAML", `${where}: the document is not a YAML mapping (a CFD starts with keys such as \`fragments:\`)`);
}

export class BuildServiceCore {
  readonly store: ArtifactStore;
  readonly state: BuildStateStore;
  readonly queue: BuildQueue;
  private closing = false;
  /**
   * Archives already checked, by sha256 (and cfdPath): their tree hash and the CFD found in them.
   * The same bytes unpack the same way under the same limits, so a resubmission skips the unpacking.
   */
  private readonly checked = new Map<string, { treeHash: string; cfdFromArchive?: string }>();

  constructor(private readonly opts: CoreOptions) {
    this.store = opts.store;
    this.state = opts.state;
    this.queue = opts.queue;
  }

  stopAccepting(): void {
    this.closing = true;
  }

  get(id: string): Promise<BuildRecord | null> {
    return /^[0-9a-f]{24}$/.test(id) ? this.state.get(id) : Promise.resolve(null);
  }

  languagesInfo() {
    return { dcm: this.opts.version, drivers: [this.opts.driver], languages: this.opts.languages };
  }

  async submit(sub: Submission): Promise<BuildRecord> {
    if (this.closing) throw dcmError("DCM_SERVICE_UNAVAILABLE", "the build service is shutting down");
    const kind = archiveKindOf(sub.archive.subarray(0, 8));
    if (!kind)
      throw dcmError("DCM_ARCHIVE_KIND", "the `repo` upload is neither a gzip-compressed tar nor a zip (told by its first bytes)");
    const cfdPath = sub.cfdPath ?? DEFAULT_CFD_PATH;
    const pathProblem = distPathProblem(cfdPath);
    if (pathProblem) throw dcmError("DCM_SERVICE_BAD_UPLOAD", `cfdPath \`${cfdPath.slice(0, 200)}\` ${pathProblem}`);
    if (sub.cfdText !== undefined) checkYaml(sub.cfdText, "the uploaded CFD");

    const archive = createHash("sha256").update(sub.archive).digest("hex");
    const memoKey = `${archive}\0${sub.cfdText === undefined ? cfdPath : ""}`;
    let checked = this.checked.get(memoKey);
    if (!checked) {
      checked = await this.check(sub, kind, cfdPath);
      this.checked.set(memoKey, checked);
      if (this.checked.size > 1000) this.checked.delete(this.checked.keys().next().value!);
    }
    const cfdBytes = sub.cfdText ?? checked.cfdFromArchive!;

    const key = buildKey({
      version: this.opts.version,
      driver: this.opts.driver,
      languages: this.opts.languages,
      cfdPath,
      cfdBytes,
      treeHash: checked.treeHash,
    });
    const now = new Date().toISOString();
    // Answered from the store: the record is written once, already succeeded (its events still say queued first).
    const manifest = await this.storedManifest(key);
    const record: BuildRecord = {
      id: newBuildId(),
      key,
      owner: sub.owner,
      state: manifest ? "succeeded" : "queued",
      createdAt: now,
      updatedAt: now,
      stages: [],
      diagnostics: [],
      cfdPath,
      driver: this.opts.driver,
      ...(manifest ? { fromStore: true, manifest } : {}),
    };
    await this.state.create(record);
    await this.state.append(record.id, { type: "queued" });
    if (manifest) {
      await this.state.append(record.id, { type: "state", state: "succeeded", fromStore: true });
    } else {
      await this.store.putBlob(archive, sub.archive);
      const job: BuildJob = {
        key,
        archive,
        archiveKind: kind,
        cfdPath,
        driver: this.opts.driver,
        ...(sub.cfdText !== undefined ? { cfdText: sub.cfdText } : {}),
      };
      await this.queue.enqueue(job);
    }
    return (await this.state.get(record.id)) ?? record;
  }

  /**
   * Every check of the unpack, before anything is queued, without writing the tree: a hostile archive is
   * refused now (4xx), and the 202 does not wait for thousands of file writes (the build's unpack does them).
   */
  private async check(
    sub: Submission,
    kind: "tar.gz" | "zip",
    cfdPath: string,
  ): Promise<{ treeHash: string; cfdFromArchive?: string }> {
    const keep = sub.cfdText === undefined ? [cfdPath] : [];
    const checked = await checkArchive(sub.archive, kind, this.opts.archiveLimits ?? {}, { keep });
    if (sub.cfdText !== undefined) return { treeHash: checked.treeHash };
    const bytes = checked.kept.get(cfdPath);
    if (!bytes) {
      const inRepo = checked.files.find((f) => f.path === cfdPath);
      throw dcmError(
        "DCM_SERVICE_CFD_NOT_YAML",
        inRepo
          ? `cfdPath \`${cfdPath}\` is ${inRepo.symlink !== undefined ? "a symbolic link" : "larger than 1 MiB"}: name the CFD file itself`
          : `cfdPath \`${cfdPath}\` names no file in the archive${checked.strippedPrefix ? ` (its top folder \`${checked.strippedPrefix}\` was stripped: paths are relative to it)` : ""}`,
      );
    }
    const cfdFromArchive = bytes.toString("utf8");
    checkYaml(cfdFromArchive, cfdPath);
    return { treeHash: checked.treeHash, cfdFromArchive };
  }

  private async storedManifest(key: string): Promise<Manifest | null> {
    const r = await this.store.readDistFile(key, "manifest.json");
    if (!r) return null;
    const chunks: Buffer[] = [];
    for await (const c of r.stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Manifest;
  }

  /**
   * Cancels one submission. When others share its job (same key, not
   * finished) only this one ends; otherwise the job is stopped and this waits
   * until its processes are gone (the queue sets the final state).
   */
  async cancel(record: BuildRecord): Promise<BuildRecord> {
    if (FINISHED.has(record.state)) return record;
    const others = (await this.state.activeByKey(record.key)).filter((id) => id !== record.id);
    const markCancelled = async () => {
      const cur = await this.state.get(record.id);
      if (cur && !FINISHED.has(cur.state)) {
        await this.state.update(record.id, { state: "cancelled", reason: "cancelled by the submitter" });
        await this.state.append(record.id, { type: "state", state: "cancelled", reason: "cancelled by the submitter" });
      }
    };
    if (others.length > 0) {
      await markCancelled();
    } else {
      const finished = this.waitFinished(record.id, this.opts.cancelWaitMs ?? 20_000);
      if (await this.queue.cancel(record.key)) await finished.wait;
      else finished.stop();
      await markCancelled();
    }
    return (await this.state.get(record.id)) ?? record;
  }

  private waitFinished(id: string, ms: number): { wait: Promise<void>; stop: () => void } {
    let stop = () => {};
    const wait = new Promise<void>((resolve) => {
      let unsub: (() => Promise<void>) | undefined;
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        void unsub?.();
        resolve();
      };
      stop = done;
      void this.state
        .subscribe(id, (e) => {
          if (e.type === "state" && FINISHED.has(e.state)) done();
        })
        .then(async (u) => {
          unsub = u;
          const cur = await this.state.get(id);
          if (cur && FINISHED.has(cur.state)) done();
        });
    });
    return { wait, stop };
  }

  /** The dist of a key as a .tar.gz (reproducible: fixed times and owners), or null. */
  distArchive(key: string): Promise<{ stream: NodeJS.ReadableStream; size: number; sha256: string } | null> {
    return this.store.readDistArchive(key);
  }

}
