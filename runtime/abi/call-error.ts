/** The typed error every runtime path throws for a failed fragment call. */
export class FragmentCallError extends Error {
  readonly code: string;
  readonly fragment: string;
  constructor(code: string, message: string, fragment: string) {
    super(message);
    this.name = "FragmentCallError";
    this.code = code;
    this.fragment = fragment;
  }
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}
