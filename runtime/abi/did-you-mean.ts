/** Nearest names by edit distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  let prev = Array.from({ length: bl.length + 1 }, (_, i) => i);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      const cost = al[i - 1] === bl[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[bl.length]!;
}

/** Candidates within a distance that grows with the word's length, best first (at most `max`). */
export function nearest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= limit || c.toLowerCase() === word.toLowerCase()) scored.push([c, d]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).slice(0, max).map(([c]) => c);
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const n = nearest(word, candidates);
  return n.length ? `did you mean ${n.map((c) => "`" + c + "`").join(" or ")}?` : undefined;
}
