package pricing

import (
	"fmt"
	"math"
)

// Cents is an amount of money in euro cents.
type Cents int64

// ToCents converts euros to cents, rounding half away from zero.
func ToCents(eur float64) Cents {
	return Cents(math.Round(eur * 100))
}

// Format renders c as a euro amount such as "€12.34" or "-€0.05" (a method on
// a value receiver of a named integer type).
func (c Cents) Format() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = -u // also right for math.MinInt64
	}
	return fmt.Sprintf("%s€%d.%02d", sign, u/100, u%100)
}

// ApplyDiscount takes each percentage off in turn, rounding down to whole
// cents: 10 and 5 give 14.5% off. Percentages above 100 count as 100.
func ApplyDiscount(price Cents, percents ...int) Cents {
	for _, p := range percents {
		p = min(max(p, 0), 100)
		price = price * Cents(100-p) / 100
	}
	return price
}

// StockValue is the value of the stock at the given prices; a SKU without a
// price counts as zero.
func StockValue(stock map[string]int, prices map[string]Cents) Cents {
	var v Cents
	for sku, n := range stock {
		v += Cents(n) * prices[sku]
	}
	return v
}

// maxCents is the largest amount a cart may hold.
const maxCents = Cents(math.MaxInt64)
