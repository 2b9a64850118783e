/**
 * The Go text of bench/gen-synthetic-go.ts: one ordinary "unit" (a struct
 * with json tags, a constructor, methods and helpers of three call shapes
 * that call other helpers), the fragments of the two api packages and the
 * CFD naming them.
 */

/** Exported helpers by shape: S string->string, I int->int, L []int->int. */
export interface Helpers {
  S: string[];
  I: string[];
  L: string[];
}

export type Pick = (shape: keyof Helpers) => string;

export const NOUNS = [
  "Ledger",
  "Invoice",
  "Account",
  "Shipment",
  "Voucher",
  "Basket",
  "Tariff",
  "Parcel",
  "Ticket",
  "Quote",
  "Report",
  "Budget",
  "Profile",
  "Session",
  "Region",
  "Vendor",
  "Batch",
  "Coupon",
  "Refund",
  "Route",
];

/** One type with its constructor, methods and shaped helpers (~1.4 KB). */
export function unitGo(T: string, r: () => number, local: Helpers, pick: Pick): string {
  const lc = T.toLowerCase();
  const recv = lc[0] === "t" ? "x" : lc[0]!;
  const limit = 10 + Math.floor(r() * 990);
  const mod = 3 + Math.floor(r() * 20);
  const code = `// ${T} is one ${lc.replace(/\d+$/, "")} record of the ${lc} workflow.
type ${T} struct {
	ID      int                \`json:"id"\`
	Name    string             \`json:"name"\`
	Tags    []string           \`json:"tags,omitempty"\`
	Weights map[string]float64 \`json:"weights,omitempty"\`
	Limit   int                \`json:"limit"\`
}

// New${T} returns a ${T} with its defaults.
func New${T}(id int, name string) *${T} {
	return &${T}{ID: id, Name: Clean${T}(name), Limit: ${limit}, Weights: map[string]float64{}}
}

// Label renders the value for logs.
func (${recv} *${T}) Label() string {
	return fmt.Sprintf("%s#%d", strings.ToUpper(${recv}.Name), ${recv}.ID)
}

// AddTag records a tag once, keeping the tags sorted.
func (${recv} *${T}) AddTag(tag string) {
	tag = ${pick("S")}(strings.TrimSpace(tag))
	for _, t := range ${recv}.Tags {
		if t == tag {
			return
		}
	}
	${recv}.Tags = append(${recv}.Tags, tag)
	sort.Strings(${recv}.Tags)
}

// Validate reports whether the value can be stored.
func (${recv} *${T}) Validate() error {
	if ${recv}.Name == "" {
		return errors.New("${lc}: empty name")
	}
	if ${recv}.Limit < 0 || ${recv}.Limit > ${limit * 10} {
		return fmt.Errorf("${lc}: limit %d out of range", ${recv}.Limit)
	}
	return nil
}

// Clean${T} normalises a name of a ${T}.
func Clean${T}(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	s = ${pick("S")}(s)
	return strings.ReplaceAll(s, " ", "-")
}

// Score${T} weighs n steps of the ${lc} rules.
func Score${T}(n int) int {
	total := 0
	for i := 0; i < n%${mod + 7}; i++ {
		switch {
		case i%${mod} == 0:
			total += i * ${mod}
		case i%5 == 0:
			total -= i
		default:
			total += ${pick("I")}(i)
		}
	}
	return total
}

// Sum${T} scores every value of xs.
func Sum${T}(xs []int) int {
	s := 0
	for _, x := range xs {
		s += Score${T}(x)
	}
	if len(xs) > ${mod} {
		s += ${pick("L")}(xs[:${mod}])
	}
	return s
}

// Parse${T} reads a decimal ${lc} score.
func Parse${T}(s string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("${lc}: %w", err)
	}
	return Score${T}(v), nil
}

`;
  local.S.push(`Clean${T}`);
  local.I.push(`Score${T}`);
  local.L.push(`Sum${T}`);
  return code;
}

export const FRAGMENT_GO: Record<string, (call: (shape: keyof Helpers, qual: string) => string) => string> = {
  "api/orders": (c) => `// LineItem is one line of an order.
type LineItem struct {
	SKU      string \`json:"sku"\`
	Quantity int    \`json:"quantity"\`
	Cents    int    \`json:"cents"\`
}

// Cart is a customer's open order.
type Cart struct {
	Owner string     \`json:"owner"\`
	Items []LineItem \`json:"items"\`
}

// OrderTotal sums the items in cents and adds tax given in basis points.
func OrderTotal(items []LineItem, taxBP int) int {
	total := 0
	for _, it := range items {
		total += it.Quantity * it.Cents
	}
	total += ${c("I", "")}(len(items)) % 3
	total += ${c("I", "mathutil")}(taxBP) % 2
	return total + total*taxBP/10000
}

// NormalizeSKU cleans a stock keeping unit for lookups.
func NormalizeSKU(sku string) string {
	return strings.ToUpper(${c("S", "textutil")}(${c("S", "")}(sku)))
}

// ItemCount is the number of units in the cart.
func (c Cart) ItemCount() int {
	n := 0
	qs := make([]int, 0, len(c.Items))
	for _, it := range c.Items {
		n += it.Quantity
		qs = append(qs, it.Quantity)
	}
	return n + ${c("L", "")}(qs)*0
}
`,
  "api/billing": (c) => `// Stats summarises a series of amounts.
type Stats struct {
	Count int     \`json:"count"\`
	Mean  float64 \`json:"mean"\`
	Max   float64 \`json:"max"\`
}

// ParseAmount reads an amount such as "12.50" into cents.
func ParseAmount(s string) (int, error) {
	s = ${c("S", "textutil")}(strings.TrimSpace(s))
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.Atoi(whole)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	f, _ := strconv.Atoi((frac + "00")[:2])
	return w*100 + f + ${c("I", "")}(0)*0, nil
}

// Checksum is a simple rolling checksum of data.
func Checksum(data []byte) uint32 {
	var h uint32 = 2166136261
	xs := make([]int, 0, len(data))
	for _, b := range data {
		h = (h ^ uint32(b)) * 16777619
		xs = append(xs, int(b))
	}
	return h + uint32(${c("L", "mathutil")}(xs[:0]))
}

// Summarize computes count, mean and maximum of values.
func Summarize(values []float64) Stats {
	st := Stats{Count: len(values) + ${c("I", "")}(0)*0}
	sum := 0.0
	for i, v := range values {
		sum += v
		if i == 0 || v > st.Max {
			st.Max = v
		}
	}
	if st.Count > 0 {
		st.Mean = sum / float64(st.Count)
	}
	return st
}
`,
};

export const CFD_YAML = `# Synthetic CFD: 6 fragments in two packages, no dependsOn or libs (dcm infers them).
fragments:
  - { id: order-total, name: OrderTotal, runOn: client, location: { filepath: api/orders/fragments.go } }
  - { id: normalize-sku, name: NormalizeSKU, runOn: client, location: { filepath: api/orders/fragments.go } }
  - { id: item-count, name: Cart.ItemCount, runOn: server, location: { filepath: api/orders/fragments.go } }
  - { id: parse-amount, name: ParseAmount, runOn: client, location: { filepath: api/billing/fragments.go } }
  - { id: checksum, name: Checksum, runOn: server, location: { filepath: api/billing/fragments.go } }
  - { id: summarize, name: Summarize, runOn: client, location: { filepath: api/billing/fragments.go } }
`;

const WORDS = ["pending", "settled", "rejected", "expired", "queued", "archived", "on hold", "partial", "refunded"];

/** An unexported status-code switch of about `bytes` bytes (pads a file to its size). */
export function codeTable(name: string, r: () => number, bytes: number): string {
  let out = `// ${name} maps a status code to its text.\nfunc ${name}(code int) string {\n\tswitch code {\n`;
  for (let code = 100 + Math.floor(r() * 50); out.length < bytes - 60; code += 1 + Math.floor(r() * 9)) {
    out += `\tcase ${code}:\n\t\treturn "${WORDS[Math.floor(r() * WORDS.length)]} (${code})"\n`;
  }
  return `${out}\t}\n\treturn strconv.Itoa(code)\n}\n\n`;
}
