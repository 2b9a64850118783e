/**
 * The one error catalog. Codes are stable: tools and docs refer to them.
 * docs/errors.md lists every code; test/unit/error-catalog.spec.ts keeps the
 * two in sync. Add new codes to the section of the component that raises
 * them; never reuse or rename a code.
 */
import type { Diagnostic, Severity, SourcePos } from "./diagnostic-types.js";

export interface CatalogEntry {
  severity: Severity;
  /** One line: what is wrong in general. Details go in the diagnostic's message. */
  title: string;
  /** How to fix it, in general. A diagnostic may give a more specific suggestion. */
  fix: string;
  /**
   * A hint that only restates what dcm infers by itself: `validate` and
   * `build` print it with `--verbose` only (`--json` always has it).
   */
  verboseOnly?: true;
}

export const CATALOG = {
  // ---- CFD (src/cfd) ----
  DCM_CFD_YAML_SYNTAX: { severity: "error", title: "The CFD is not valid YAML", fix: "Correct the YAML syntax at the reported position." },
  DCM_CFD_NOT_FOUND: { severity: "error", title: "The CFD file cannot be read", fix: "Check the path given to --cfd." },
  DCM_CFD_NO_FRAGMENTS: { severity: "error", title: "The CFD has no `fragments:` list at its root", fix: "Add a root key `fragments:` holding a list of fragment descriptions." },
  DCM_CFD_UNKNOWN_KEY: { severity: "error", title: "Unknown key in the CFD", fix: "Remove the key or correct its spelling." },
  DCM_CFD_MISSING_KEY: { severity: "error", title: "A required key is missing", fix: "Add the key to the fragment." },
  DCM_CFD_INVALID_VALUE: { severity: "error", title: "A key has a value of the wrong type or form", fix: "Use the form shown in docs/cfd.md." },
  DCM_CFD_INVALID_RUNON: { severity: "error", title: "`runOn` must be `client` or `server`", fix: "Set `runOn: client` or `runOn: server`." },
  DCM_CFD_DUPLICATE_ID: { severity: "error", title: "Two fragments share an id", fix: "Give every fragment its own id." },
  DCM_CFD_UNKNOWN_DEPENDENCY: { severity: "error", title: "`dependsOn` names a fragment id that does not exist", fix: "Use the id of a fragment declared in this CFD." },
  DCM_CFD_FILE_NOT_FOUND: { severity: "error", title: "`location.filepath` matches no file in the repository", fix: "Give a path (or path suffix) of a source file in the repository." },
  DCM_CFD_FILE_AMBIGUOUS: { severity: "error", title: "`location.filepath` matches several files", fix: "Give a longer path suffix so that exactly one file matches." },
  DCM_CFD_SYMBOL_NOT_FOUND: { severity: "error", title: "The fragment's `name` is not declared in its file", fix: "Use the name of a function, method, variable, constant or type declared in that file." },
  DCM_CFD_KIND_MISMATCH: { severity: "error", title: "The declared `kind` does not match the code", fix: "Set `kind` to what the symbol is, or remove `kind`." },
  DCM_CFD_UNKNOWN_LANGUAGE: { severity: "error", title: "No language adapter handles this file or `language`", fix: "Use a file of a supported language (see languages/README.md)." },
  DCM_CFD_MISSING_LIBS: { severity: "hint", title: "Detected libraries are not listed in `libs`", fix: "Run `dcm validate --fix` to write them into the CFD.", verboseOnly: true },
  DCM_CFD_MISSING_DEPENDS_ON: { severity: "hint", title: "Detected fragment dependencies are not listed in `dependsOn`", fix: "Run `dcm validate --fix` to write them into the CFD." },
  DCM_CFD_MISSING_GLOBAL_VAR: { severity: "hint", title: "Detected package-level variables are not listed in `globalVar`", fix: "Run `dcm validate --fix` to write them into the CFD.", verboseOnly: true },
  DCM_CFD_MISSING_TYPE_DEF: { severity: "hint", title: "Detected type definitions are not listed in `typeDef`", fix: "Run `dcm validate --fix` to write them into the CFD.", verboseOnly: true },
  DCM_CFD_LIB_ALIAS: { severity: "hint", title: "A `libs` entry's alias differs from the alias the file imports the library under", fix: "Write the entry as `<alias> <path>` with the alias of the file's import (or the path alone for an import without alias)." },
  DCM_CFD_LOCATION_RANGE: { severity: "error", title: "`location.start`/`end` do not enclose the symbol", fix: "Correct the line range or remove `start` and `end`." },

  // ---- Analysis (languages/*) ----
  DCM_SOURCE_SYNTAX: { severity: "error", title: "The source file does not parse", fix: "Fix the syntax error at the reported line." },
  DCM_UNSUPPORTED_CONSTRUCT: { severity: "error", title: "The fragment uses a construct dcm does not support yet", fix: "Change the signature to use supported types (the value model table in docs/abi.md), or leave this function out of the CFD." },
  DCM_UNSUPPORTED_TYPE: { severity: "error", title: "A parameter or result type cannot cross the client/server boundary", fix: "Use a type of the value model (the value model table in docs/abi.md)." },
  DCM_FRAGMENT_NOT_CALLABLE: { severity: "warning", title: "A fragment marked `runOn` has a signature that cannot cross the client/server boundary; it is compiled in as code other fragments use, but cannot be called", fix: "Change the signature to value-model types (docs/abi.md), or remove `runOn` to make the fragment a dependency; `--strict` turns this warning into an error." },
  DCM_STATE_NOT_ENCODABLE: { severity: "error", title: "A module-level variable keeps state for fragments, but its value cannot be moved between client and server (docs/state.md)", fix: "Give the variable a value-model type, keep that state out of the fragments, or set `stateful: false` on the fragments that touch it (each side then keeps its own copy, not moved)." },
  DCM_TYPE_NAME_CLASH: { severity: "error", title: "Two languages of one build declare a record of the same name with different fields", fix: "Rename one of the types (record names are shared by all languages of a dist)." },
  DCM_TYPE_NOT_FOUND: { severity: "error", title: "A type used in a fragment signature cannot be found in the repository", fix: "Declare the type in the repository or use a supported built-in type." },
  DCM_REPO_NOT_FOUND: { severity: "error", title: "The repository folder cannot be read", fix: "Check the repository path." },
  DCM_GO_MOD_MISSING: { severity: "error", title: "No go.mod found above a Go fragment", fix: "Run `go mod init <module>` at the repository root." },
  // -- Rust (languages/rust) --
  // -- AssemblyScript (languages/assemblyscript) --
  // -- TypeScript (languages/typescript) --
  DCM_TS_TYPE_ERROR: { severity: "error", title: "A TypeScript fragment, or a repository file it imports, does not type-check", fix: "Fix the error at the reported line; the TypeScript compiler's message follows (dcm checks with the repository's tsconfig.json, or strict defaults without one)." },
  DCM_TS_CONFIG: { severity: "error", title: "The repository's tsconfig.json cannot be used to type-check the TypeScript fragments", fix: "Correct the option the TypeScript compiler names in the message, or remove it." },

  // ---- Toolchains and compilation (toolchains/, languages/*) ----
  DCM_TOOLCHAIN_MISSING: { severity: "error", title: "A required toolchain is not installed", fix: "Run `bash toolchains/install.sh` (or the language's install script named in the message)." },
  DCM_TOOLCHAIN_TOO_OLD: { severity: "error", title: "The installed toolchain is too old", fix: "Install the version named in the message." },
  DCM_COMPILE_FAILED: { severity: "error", title: "The compiler rejected the fragment code", fix: "Fix the error at the reported source line; the compiler's own message follows." },
  DCM_BUILD_OUTPUT: { severity: "error", title: "The output folder cannot be written", fix: "Choose a writable --out folder." },
  DCM_OUT_UNSAFE: { severity: "error", title: "`--out` names something dcm must not replace: a folder of other files, a file, the repository or the current, home or cache folder or one of their ancestors; nothing was touched", fix: "Give --out a new or empty folder, or a dist an earlier `dcm build` wrote (it holds `.dcm-dist`); move or remove what is there yourself if you no longer need it." },
  DCM_DEPENDENCY_UNBUILDABLE: { severity: "error", title: "A package the fragment's code needs does not build for the module's target", fix: "Keep the package out of the fragment's code (and the helpers it calls), or require a version of it that builds for the target; the message shows the import chain." },
  DCM_EXTRACTION_INCOMPLETE: { severity: "warning", title: "Extracting the fragments' code missed something the build needs; the module was built from whole packages", fix: "Nothing to change in your code: the build went on without extraction. Please report the gap (DCM_GO_EXTRACT=0 skips Go extraction)." },
  DCM_SANDBOX_UNAVAILABLE: { severity: "error", title: "The build sandbox (bubblewrap) is not installed, so dcm refuses to run toolchains on the repository", fix: "Install bubblewrap (`apt-get install -y bubblewrap`, or `bash toolchains/install.sh`); for trusted code only, build with `--no-sandbox`." },
  DCM_SANDBOX_LIMIT: { severity: "error", title: "A toolchain step hit a limit of the build sandbox (wall time, CPU time, memory or output) and was killed", fix: "Look for code that runs at compile time without end (build scripts, macros, const evaluation); raise the limit with DCM_SANDBOX_LIMITS=wall=<s>,cpu=<s>,memory=<MiB>,output=<MiB> if the build is just big." },
  DCM_OUTSIDE_REPOSITORY: { severity: "error", title: "The code being built reads a file outside the repository", fix: "Move the file into the repository (or copy it there) and refer to it by a path inside the repository; the build sees nothing else of the file system." },

  // ---- container (toolchains/container) ----
  DCM_CONTAINER_UNAVAILABLE: { severity: "error", title: "The container driver found no working container engine (Podman, or Docker with a running engine)", fix: "Install Podman and runc (`bash toolchains/container/install.sh`), or build with the bubblewrap sandbox (`--driver sandbox`, the default)." },
  DCM_CONTAINER_IMAGE_FAILED: { severity: "error", title: "dcm could not build its container image (mmdebstrap, import or the toolchain layer failed)", fix: "Read the tool's output in the message; install mmdebstrap (`bash toolchains/container/install.sh`) and check that a Debian mirror is reachable." },
  DCM_CONTAINER_FAILED: { severity: "error", title: "The container engine could not run a toolchain step's container", fix: "Read the engine's message; check `podman info` (runc on cgroup v1 machines: DCM_CONTAINER_RUNTIME=runc), or build with `--driver sandbox`." },

  // ---- Invocation (runtime) ----
  DCM_FRAGMENT_ERROR: { severity: "error", title: "The fragment returned an error", fix: "This is the fragment's own error result; see its message." },
  DCM_FRAGMENT_PANIC: { severity: "error", title: "The fragment panicked, or ended the process or thread it ran in (an exit, an abort, a stack overflow, its memory limit)", fix: "Fix the fragment; the message says what failed (for a plugin process: its exit code or signal and what it printed last). The next call runs in a fresh process." },
  DCM_UNKNOWN_FRAGMENT: { severity: "error", title: "No fragment with this id or name in the manifest, or a name that several fragments share", fix: "Use an id listed in dist/manifest.json (`dcm analyze` lists them), or a name (`Func`, `Type.Method`) that only one fragment has; the message lists the nearest or the sharing fragments." },
  DCM_NOT_CALLABLE: { severity: "error", title: "The fragment cannot be called: it is a type or variable, a dependency without `runOn`, or its signature cannot cross the boundary", fix: "Call a function or method fragment that has `runOn` and a signature of value-model types; the message (and the manifest's `notCallable`) says why this one is not." },
  DCM_BAD_ARGUMENTS: { severity: "error", title: "The arguments do not match the fragment's signature", fix: "Pass one JSON value per parameter, of the parameter's type." },
  DCM_MANIFEST_INVALID: { severity: "error", title: "The dist folder has no valid manifest.json", fix: "Run `dcm build` to produce the dist folder." },
  DCM_MODULE_MISSING: { severity: "error", title: "A file the dist's manifest lists (a module or its glue) is missing from the dist folder", fix: "Rebuild the dist folder with `dcm build`, or copy the whole folder, not only manifest.json." },
  DCM_MANIFEST_UNSAFE_PATH: { severity: "error", title: "A file path in the dist's manifest leads outside the dist folder (absolute, `..`, or through a symbolic link); the dist was refused", fix: "Rebuild the dist with `dcm build`; never load a dist whose manifest was edited by hand or comes from an untrusted source." },
  DCM_MODULE_CORRUPT: { severity: "error", title: "A module is damaged: its sha256 does not match the manifest, or it does not follow the dcm ABI", fix: "Rebuild the dist folder with `dcm build`." },
  DCM_NO_MODULE_FOR_SIDE: { severity: "error", title: "No module in the dist folder runs this fragment on the requested side", fix: "Rebuild, or invoke on the other side." },

  // ---- archive (runtime/archive: uploaded repositories and dists) ----
  DCM_ARCHIVE_KIND: { severity: "error", title: "The upload is neither a gzip-compressed tar (.tar.gz) nor a zip archive", fix: "Upload the repository as `tar czf repo.tar.gz -C <repo> .` or `zip -r -y repo.zip .` (dcm submit packs it for you)." },
  DCM_ARCHIVE_CORRUPT: { severity: "error", title: "The archive is not a valid tar.gz or zip: damaged, truncated or not what its first bytes say", fix: "Pack the repository again and upload the whole file; check that nothing cut the upload short." },
  DCM_ARCHIVE_NOT_TAR: { severity: "error", title: "The gzip stream does not hold a tar archive", fix: "Compress a tar archive (`tar czf repo.tar.gz -C <repo> .`), not a single file or another gzip." },
  DCM_ARCHIVE_COMPRESSION: { severity: "error", title: "A zip entry uses a compression method other than stored or deflate", fix: "Pack with plain deflate (`zip -r -y`, or `-Z deflate`)." },
  DCM_ARCHIVE_ENCRYPTED: { severity: "error", title: "A zip entry is encrypted", fix: "Upload an archive without a password." },
  DCM_ARCHIVE_UNSAFE_PATH: { severity: "error", title: "An entry's name is absolute, has a `..` segment, a drive letter or a backslash, so it could land outside the repository", fix: "Pack the repository with paths relative to its root and `/` as separator (`tar czf repo.tar.gz -C <repo> .`)." },
  DCM_ARCHIVE_BAD_NAME: { severity: "error", title: "An entry's name is empty, not valid UTF-8, or holds NUL or control characters", fix: "Rename the file to a printable UTF-8 name and pack again." },
  DCM_ARCHIVE_PATH_TOO_LONG: { severity: "error", title: "An entry's name is longer than the limit (or one of its segments is over 255 bytes)", fix: "Shorten the path; the message gives the limit." },
  DCM_ARCHIVE_TOO_DEEP: { severity: "error", title: "An entry is nested in more folders than the limit", fix: "Flatten the folder structure; the message gives the limit." },
  DCM_ARCHIVE_DUPLICATE: { severity: "error", title: "Two entries have the same path, or one is a file where another needs a folder", fix: "Pack the repository once, from a clean folder (appending to an archive repeats entries)." },
  DCM_ARCHIVE_SYMLINK_ESCAPE: { severity: "error", title: "A symbolic link is absolute, points outside the repository (also through other links) or loops", fix: "Make the link relative to a file inside the repository, or replace it by the file itself." },
  DCM_ARCHIVE_THROUGH_SYMLINK: { severity: "error", title: "An entry's path passes through a symbolic link of the archive", fix: "Pack the repository with a tool that stores links as links and files under their real folder (`tar czf`, `zip -r -y`)." },
  DCM_ARCHIVE_HARDLINK: { severity: "error", title: "A hard link points outside the repository, to an entry not (yet) in the archive, or to something that is not a file", fix: "Pack the repository again with tar or zip from its folder; hard links to files inside are fine." },
  DCM_ARCHIVE_ENTRY_TYPE: { severity: "error", title: "An entry is a device, FIFO, socket or another kind of file a repository cannot hold", fix: "Remove it from the folder before packing; only files, folders and symbolic links are accepted." },
  DCM_ARCHIVE_TOO_MANY_FILES: { severity: "error", title: "The archive has more entries than the service accepts", fix: "Leave generated files, dependencies and build output out of the archive (dcm submit honours .gitignore), or ask the operator to raise the limit." },
  DCM_ARCHIVE_TOO_LARGE: { severity: "error", title: "The archive unpacks to more bytes than the service accepts", fix: "Leave generated files, dependencies and build output out of the archive, or ask the operator to raise the limit." },
  DCM_ARCHIVE_FILE_TOO_LARGE: { severity: "error", title: "A single file in the archive is larger than the service accepts", fix: "Leave the file out of the archive (data sets and binaries are not needed to build fragments)." },
  DCM_ARCHIVE_RATIO: { severity: "error", title: "The archive unpacks to far more bytes than it has (a compression bomb, or mostly zeros)", fix: "Upload the repository's real files; the message gives the ratio the service accepts." },
  DCM_ARCHIVE_EMPTY: { severity: "error", title: "The archive holds no file", fix: "Pack the repository's folder with its files (`tar czf repo.tar.gz -C <repo> .`)." },
  DCM_ARCHIVE_DEST: { severity: "error", title: "The folder to unpack into is not a new or empty folder, or cannot be written", fix: "Give unpackArchive a folder that does not exist yet or is empty (a fault of the service's set-up, not of the upload)." },

  // ---- submit (src/service/client, dcm submit) ----
  DCM_SUBMIT_NO_KEY: { severity: "error", title: "`dcm submit` has no API key: DCM_API_KEY is not set", fix: "Set the key the service was started with: `export DCM_API_KEY=<key>` (one of the service's DCM_API_KEYS; `dcm key` makes one). The key is never read from the command line or the URL." },
  DCM_SUBMIT_INPUT: { severity: "error", title: "The repository or the CFD given to `dcm submit` cannot be read", fix: "Give the repository's folder and an existing CFD file: `dcm submit <repo> --cfd <file> --server <url>`." },
  DCM_SUBMIT_TOO_LARGE: { severity: "error", title: "The repository is larger than the build service accepts (files, bytes, or one file); nothing was uploaded", fix: "Add generated files, dependencies and data to .gitignore, or submit the subfolder that holds the code the CFD names." },
  DCM_SUBMIT_UNREACHABLE: { severity: "error", title: "The build service cannot be reached", fix: "Check --server (e.g. http://127.0.0.1:8090) and that `dcm serve` runs there." },
  DCM_SUBMIT_REFUSED: { severity: "error", title: "The build service refused a request and said nothing dcm understands", fix: "Check --server points at a `dcm serve` (not another web server) and read the status in the message." },
  DCM_SUBMIT_STREAM: { severity: "error", title: "The build's event stream was lost and could not be resumed", fix: "The build goes on in the service: ask for its state (GET /dcm/builds/{id}) or submit again (an unchanged repository is answered from the store)." },
  DCM_SUBMIT_BUILD_FAILED: { severity: "error", title: "The build in the service failed or was cancelled", fix: "Read the diagnostics and the reason above; fix the repository or the CFD and submit again." },
  DCM_SUBMIT_DIST: { severity: "error", title: "The dist downloaded from the build service does not match what the service says it built", fix: "Submit again; if it happens again, the service's store is damaged: tell its operator." },

  // ---- service (src/service: dcm serve, the build runner, the store) ----
  DCM_SERVICE_UNKNOWN_BUILD: { severity: "error", title: "No build with this id belongs to this API key", fix: "Use the id (or the Location) that POST /dcm/builds answered with, with the same API key; GET /dcm/builds lists your builds." },
  DCM_SERVICE_BAD_UPLOAD: { severity: "error", title: "The build submission is not a multipart form with a `repo` archive and a `cfd` file or `cfdPath` field", fix: "Send `multipart/form-data` with `repo` = the repository as .tar.gz or .zip and `cfd` = the CFD file (or `cfdPath` = its path inside the archive); `dcm submit` does this for you." },
  DCM_SERVICE_CFD_NOT_YAML: { severity: "error", title: "The submitted CFD is not a YAML document (or is missing from the archive)", fix: "Submit the CFD file itself (`dcm validate <cfd>` checks it), or a `cfdPath` that names it inside the archive." },
  DCM_SERVICE_NO_DIST: { severity: "error", title: "The build has no such artifact: it has not succeeded (yet), or its dist has no file of this name", fix: "Wait for the state `succeeded` (GET /dcm/builds/{id} or its events); the manifest lists the dist's files." },
  DCM_SERVICE_RANGE: { severity: "error", title: "The requested byte range is not inside the file", fix: "Ask for a range within the file's size (the Content-Range of the answer gives it)." },
  DCM_SERVICE_BUILD_TIMEOUT: { severity: "error", title: "The build ran past the service's wall-time limit and was stopped", fix: "Look for a build script, macro or compile step that does not end (the build's output events show the last step); the operator sets the limit with `dcm serve --build-timeout`." },
  DCM_SERVICE_BUILD_CRASHED: { severity: "error", title: "The build process ended without a diagnostic (it crashed or was killed)", fix: "See the message for its last output; submit again, and report it if it repeats." },
  DCM_SERVICE_STORE: { severity: "error", title: "The build service's store folder cannot be used", fix: "Give `dcm serve --store` an empty folder or one dcm made (it holds a `.dcm-store` file); dcm never writes into a folder it did not make." },
  DCM_SERVICE_UNAVAILABLE: { severity: "error", title: "The build service is shutting down and takes no new builds", fix: "Retry against a running service." },

  // ---- CLI ----
  DCM_CLI_USAGE: { severity: "error", title: "The command line is not valid", fix: "Run `dcm --help` for usage." },

  // ---- Runtime (runtime/server, runtime/protocol) ----
  DCM_WRONG_SIDE: { severity: "error", title: "The fragment runs on the client for this client; the server refused to run it", fix: "Run the fragment locally, as the client's last `updateFragments` says, or move it to the server first." },
  DCM_CLIENT_DISCONNECTED: { severity: "error", title: "A server-initiated call could not reach the client, or the client disconnected before it answered", fix: "Call again once the client is connected (GET <prefix>/api/clients/{id} says `connected`); a call cut off mid-way may or may not have run there, so it is not repeated for you." },
  DCM_CALL_REFUSED: { severity: "error", title: "The client refused a server-initiated call (the fragment is private to the client, or the client takes no server calls)", fix: "Call a fragment the client does not mark private (`privateFragments` of createClient), or move the fragment to the server to run it there." },
  DCM_CALL_TIMEOUT: { severity: "error", title: "The call did not finish within its time limit", fix: "Make the fragment faster, raise `timeoutMs` (capped by the server's callTimeoutMs) or `dcm invoke --timeout <seconds>`, or run it with `defer`." },
  DCM_CALL_CANCELLED: { severity: "error", title: "The call was cancelled before it finished", fix: "Nothing to fix: the client sent `cancelCall` (or the server shut down) for this call." },
  DCM_BAD_MESSAGE: { severity: "error", title: "A protocol message is not valid JSON or lacks a required field", fix: "Send one JSON object per text frame with the fields docs/protocol.md lists for its `type`." },
  DCM_UNKNOWN_MESSAGE: { severity: "error", title: "A protocol message has an unknown `type`", fix: "Use a message type of docs/protocol.md." },
  DCM_MESSAGE_TOO_LARGE: { severity: "error", title: "A protocol message is larger than the server's limit", fix: "Send smaller arguments, or raise the server's maxMessageBytes." },
  DCM_TOO_MANY_CALLS: { severity: "error", title: "The client has too many calls in flight", fix: "Wait for results before sending more calls, or raise the server's maxPendingCalls." },
  DCM_STATE_TOO_LARGE: { severity: "error", title: "The call would leave this client's server-side state over its limit; the call's state change was dropped", fix: "Keep less module-level state per client, or raise the server's maxStateBytesPerClient." },
  DCM_GROUP_SPLIT: { severity: "error", title: "The request would put fragments of one group (shared module-level state) on different sides", fix: "Move the whole group to one side: name one member (the group follows) or give every member the same side." },
  DCM_TRANSFER_FAILED: { severity: "error", title: "A group's state could not be moved to the other side; the group stays where it was", fix: "Read the message (which group, which side, why): reconnect the client, or rebuild so that both sides run the same dist." },
  DCM_TRANSFER_TIMEOUT: { severity: "error", title: "A group's state transfer did not finish in time; the group stays where it was", fix: "Check that the client is responsive, or raise the server's transferTimeoutMs." },
  DCM_UNKNOWN_CLIENT: { severity: "error", title: "No client with this id is registered", fix: "Use a client id from the client list; clients expire after being idle." },
  DCM_INVALID_SIDE: { severity: "error", title: "A location must be `client` or `server`", fix: "Pass `client` or `server`." },
  DCM_AUTH_REQUIRED: { severity: "error", title: "No valid access token or refresh token was presented", fix: "Create a session (POST <prefix>/auth/session), then connect with the access token in the subprotocol header or the `hello` message." },
  DCM_TOKEN_EXPIRED: { severity: "error", title: "The token has expired", fix: "Refresh the session (POST <prefix>/auth/refresh) and connect again." },
  DCM_ORIGIN_FORBIDDEN: { severity: "error", title: "The request's Origin is not in the server's allowlist", fix: "Add the page's origin to allowedOrigins." },
  DCM_PROTOCOL_VERSION: { severity: "error", title: "The client speaks a protocol version the server does not", fix: "Use a client Code Distributor of the same dcm version as the server." },
  DCM_SERVER_CONFIG: { severity: "error", title: "The server's configuration is not valid", fix: "Correct the option named in the message." },
  DCM_SESSION_RATE_LIMITED: { severity: "error", title: "Too many new sessions from this address", fix: "Wait the seconds given in the Retry-After header, or raise the server's `sessionRateLimit`." },
  DCM_SERVER_BUSY: { severity: "error", title: "The server is at its limit of anonymous clients and none is idle", fix: "Retry after the seconds given in the Retry-After header, or raise the server's `maxAnonymousClients`." },
  DCM_HTTP_NOT_FOUND: { severity: "error", title: "No route or file for this method and path", fix: "Check the URL: the server serves the page, `<prefix>/dist/`, `<prefix>/auth/` and `<prefix>/api/`." },
  DCM_HTTP_BAD_REQUEST: { severity: "error", title: "The HTTP request is malformed or arrived too slowly", fix: "Send a valid HTTP/1.1 request; the message says what the server could not read." },
  DCM_HTTP_INTERNAL: { severity: "error", title: "The server failed while handling an HTTP request", fix: "See the server log for the cause; the request can be retried." },
  DCM_REQUEST_TOO_LARGE: { severity: "error", title: "The request's body, URL or headers are larger than the server accepts", fix: "Send a smaller body, a shorter URL or fewer cookies and headers (the message names the limit)." },

  // ---- Client runtime (runtime/client) ----
  DCM_CONNECTION_LOST: { severity: "error", title: "The connection to the server was lost during a server call", fix: "Retry, or mark the fragment `idempotent: true` in the CFD so that the client retries it by itself." },

  // ---- API (runtime/server/api) ----
  DCM_API_UNAUTHORIZED: { severity: "error", title: "The request carries no valid API key", fix: "Send `Authorization: Bearer <key>` with a key listed in DCM_API_KEYS; keys in the query string are refused." },
  DCM_API_RATE_LIMITED: { severity: "error", title: "Too many requests with this API key", fix: "Wait the seconds given in the Retry-After header, or raise the API Controller's `rateLimit`." },
  DCM_API_BAD_REQUEST: { severity: "error", title: "The request does not match the route's schema", fix: "Send the parameters and JSON body described in the OpenAPI document (GET <prefix>/openapi.json)." },
  DCM_API_UNKNOWN_CLIENT: { severity: "error", title: "No client with this id is known to the distributor", fix: "Use a clientId listed by GET <prefix>/clients." },
  DCM_API_UNKNOWN_FRAGMENT: { severity: "error", title: "No fragment with this id is served by the distributor", fix: "Use a fragment id listed by GET <prefix>/fragments." },
  DCM_API_NOT_FOUND: { severity: "error", title: "No API route for this method and path", fix: "Use a route listed in docs/api.md or in GET <prefix>/openapi.json." },
  DCM_API_CONFIG: { severity: "error", title: "The API Controller is misconfigured", fix: "Give at least one API key of 16 or more characters in DCM_API_KEYS (comma-separated): `export DCM_API_KEYS=$(npx dcm key)` in the shell, `generateApiKey()` in JavaScript." },
  DCM_API_INTERNAL: { severity: "error", title: "The distributor failed while handling an API request", fix: "See the server log for the cause; the request can be retried." },

  // ---- live redeploy (runtime/server/deploy, runtime/client/redeploy.ts, src/cli/deploy-command.ts) ----
  DCM_DEPLOY_NOT_A_DIST: { severity: "error", title: "What was deployed is not a dist: not a folder with a manifest.json, or an upload that is not a .tar.gz", fix: "Deploy the folder `dcm build` wrote (`dcm deploy dist --to <url>`), or PUT it packed as .tar.gz with `content-type: application/gzip`." },
  DCM_DEPLOY_REFUSED: { severity: "error", title: "The server refused the new dist: it does not load (a module fails to start, the server is shutting down); the running dist is untouched", fix: "Read the reason in the message, rebuild the dist with `dcm build` and deploy again." },
  DCM_DEPLOY_UNREACHABLE: { severity: "error", title: "`dcm deploy` could not reach the server, or the server answered something that is not the dcm API", fix: "Check the `--to` URL (the server's origin, e.g. `http://127.0.0.1:8080`, and `--prefix` if it is not `/dcm`) and that `dcm run` is up." },
  DCM_DEPLOY_NO_KEY: { severity: "error", title: "`dcm deploy` has no API key", fix: "Pass `--api-key <key>` or set DCM_API_KEY to one of the server's DCM_API_KEYS; the key never goes into the URL." },
  DCM_REDEPLOY_LOAD_FAILED: { severity: "warning", title: "A client could not load the modules of a new deploy; it keeps running the previous ones", fix: "See the message (a module missing or altered, HTTP error); the client tries again on the next deploy, or reload the page." },

  // ---- redis (src/service/redis) ----
  DCM_REDIS_UNAVAILABLE: { severity: "error", title: "The build service cannot reach its Redis server, so it cannot queue builds or read their state right now", fix: "Start Redis (or check the `--redis` URL and the network to it) and retry: the service and its workers reconnect by themselves; the response's Retry-After says when." },
  DCM_REDIS_URL: { severity: "error", title: "The `--redis` option is not a Redis URL", fix: "Give `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS), e.g. `--redis redis://127.0.0.1:6379`." },
  DCM_REDIS_JOB_CRASHED: { severity: "error", title: "The build failed inside the worker for a reason that is not a diagnostic of the build (a bug or a lost resource)", fix: "See the message and the worker's log; submit again (the build key is the same, so a repaired worker builds it)." },
  DCM_REDIS_WORKER: { severity: "error", title: "`dcm worker` is missing an option or has one it cannot use", fix: "Run `dcm worker --redis redis://host:port --store DIR [--concurrency N]`; every worker and every `dcm serve` node must use the same Redis and the same store." },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof CATALOG;

export function diag(
  code: ErrorCode,
  message: string,
  extra: { pos?: SourcePos; suggestion?: string; fragment?: string; severity?: Severity } = {},
): Diagnostic {
  const entry: CatalogEntry = CATALOG[code];
  const d: Diagnostic = { code, severity: extra.severity ?? entry.severity, message };
  if (extra.pos) d.pos = extra.pos;
  d.suggestion = extra.suggestion ?? entry.fix;
  if (extra.fragment !== undefined) d.fragment = extra.fragment;
  return d;
}

/** An error that carries diagnostics. Library code throws this; only the CLI turns it into an exit code. */
export class DcmError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly code: string;
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    if (!list.length) throw new TypeError("DcmError needs at least one diagnostic");
    super(list.map((d) => formatDiagnostic(d)).join("\n"));
    this.name = "DcmError";
    this.diagnostics = list;
    this.code = list[0]!.code;
  }
}

export function dcmError(code: ErrorCode, message: string, extra: Parameters<typeof diag>[2] = {}): DcmError {
  return new DcmError(diag(code, message, extra));
}

/**
 * `file:line:col: error DCM_X: message\n  fix: suggestion`. `showPath` prints the file (the CLI passes
 * src/core/paths.ts's displayPath: relative to the current folder when inside it); as given by default.
 */
export function formatDiagnostic(d: Diagnostic, showPath: (file: string) => string = (f) => f): string {
  const where = d.pos ? `${showPath(d.pos.file)}:${d.pos.line}:${d.pos.col}: ` : "";
  const hint = d.suggestion ? `\n  fix: ${d.suggestion}` : "";
  return `${where}${d.severity} ${d.code}: ${d.message}${hint}`;
}
