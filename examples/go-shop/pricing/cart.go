package pricing

import "fmt"

// LineItem is one line of a shopping cart.
type LineItem struct {
	SKU       string `json:"sku"`
	Qty       uint16 `json:"qty"`
	UnitPrice Cents  `json:"unitPrice"`
}

// Coupon takes a percentage off the whole cart.
type Coupon struct {
	Code    string `json:"code"`
	Percent int    `json:"percent"`
}

// Cart is a customer's shopping cart. Coupon is nil when none was entered.
type Cart struct {
	Items  []LineItem `json:"items"`
	Coupon *Coupon    `json:"coupon"`
}

// CartTotal sums the cart and applies its coupon. A line with quantity 0 or a
// total above maxCents is an error.
func CartTotal(c Cart) (Cents, error) {
	var total Cents
	for i, it := range c.Items {
		if it.Qty == 0 {
			return 0, fmt.Errorf("line %d (%s): quantity must be at least 1", i+1, it.SKU)
		}
		line := Cents(it.Qty) * it.UnitPrice
		if it.UnitPrice < 0 || line/Cents(it.Qty) != it.UnitPrice || total > maxCents-line {
			return 0, fmt.Errorf("line %d (%s): amount out of range", i+1, it.SKU)
		}
		total += line
	}
	if c.Coupon != nil {
		total = ApplyDiscount(total, c.Coupon.Percent)
	}
	return total, nil
}

// AddItem adds qty of sku to the cart, merging with an existing line of the
// same SKU, and returns the number of lines (a method on a pointer receiver).
func (c *Cart) AddItem(sku string, qty uint16, unitPrice Cents) int {
	for i := range c.Items {
		if c.Items[i].SKU == sku {
			c.Items[i].Qty += qty
			c.Items[i].UnitPrice = unitPrice
			return len(c.Items)
		}
	}
	c.Items = append(c.Items, LineItem{SKU: sku, Qty: qty, UnitPrice: unitPrice})
	return len(c.Items)
}
