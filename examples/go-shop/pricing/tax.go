// Package pricing computes prices, discounts and cart totals.
package pricing

// taxRate is the VAT rate applied to every net price.
var taxRate = 0.19

// GrossPrice adds VAT to a net price.
func GrossPrice(net float64) float64 {
	return net * (1 + taxRate)
}

// Discount32 is the price after pct percent off, in float32 (the precision of
// the price slider widget).
func Discount32(price, pct float32) float32 {
	return price * (1 - pct/100)
}
