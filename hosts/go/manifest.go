package dcmhost

// The parts of a dist's manifest.json a host reads (docs/abi.md; the type
// format is the value model of docs/abi.md's first table).

// Type is a value-model type as the manifest writes it.
type Type struct {
	Kind   string `json:"kind"` // bool, int, float, string, bytes, list, array, map, record, optional
	Bits   int    `json:"bits,omitempty"`
	Signed bool   `json:"signed,omitempty"`
	Elem   *Type  `json:"elem,omitempty"`   // list, array
	Length int    `json:"length,omitempty"` // array
	Key    *Type  `json:"key,omitempty"`    // map
	Value  *Type  `json:"value,omitempty"`  // map
	Inner  *Type  `json:"inner,omitempty"`  // optional
	Name   string `json:"name,omitempty"`   // record: a key of the manifest's types
}

// Field is one field of a record type, in declaration (= wire) order.
type Field struct {
	Name     string `json:"name"`
	JSONName string `json:"jsonName"`
	Type     Type   `json:"type"`
}

// RecordType is an entry of the manifest's `types`.
type RecordType struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// Param is one parameter of a fragment's signature.
type Param struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Receiver bool   `json:"receiver,omitempty"`
	Variadic bool   `json:"variadic,omitempty"`
}

// Signature of a callable fragment. Error: the function also returns an
// error (status 1 of the result frame); it is not among Results.
type Signature struct {
	Params  []Param `json:"params"`
	Results []Type  `json:"results"`
	Error   bool    `json:"error"`
}

// Fragment is one entry of the manifest's `fragments`.
type Fragment struct {
	ID          string     `json:"id"`
	Language    string     `json:"language"`
	Kind        string     `json:"kind"`
	Symbol      string     `json:"symbol"`
	RunOn       string     `json:"runOn,omitempty"`
	Signature   *Signature `json:"signature,omitempty"`
	ABI         string     `json:"abi,omitempty"` // scalar or buffer
	Export      string     `json:"export,omitempty"`
	NotCallable string     `json:"notCallable,omitempty"`
}

type glueFile struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

type moduleEntry struct {
	Language   string    `json:"language"`
	Target     string    `json:"target"` // wasm, native, js
	Sides      []string  `json:"sides"`
	File       string    `json:"file"`
	SHA256     string    `json:"sha256"`
	ABIVersion int       `json:"abiVersion"`
	Glue       *glueFile `json:"glue,omitempty"`
	Fragments  []string  `json:"fragments"`
}

type manifest struct {
	ManifestVersion int                    `json:"manifestVersion"`
	Modules         []moduleEntry          `json:"modules"`
	Fragments       []Fragment             `json:"fragments"`
	Types           map[string]*RecordType `json:"types"`
}
