// Package employees is the staff directory of the shop's back office.
package employees

import (
	"strings"

	"example.com/goshop/shared"
)

// Address is where an employee works.
type Address struct {
	Street string `json:"street"`
	City   string `json:"city"`
	Zip    string `json:"zip"`
}

// Employee is a member of staff as the backend stores it.
type Employee struct {
	ID        string   `json:"id"`
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	Email     string   `json:"email"`
	Age       uint8    `json:"age"`
	Address   Address  `json:"address"`
	Tags      []string `json:"tags"`
	ManagerID string   `json:"managerId"`
	// Active has no tag: it crosses the boundary as "Active".
	Active bool
	// PasswordHash never leaves the backend.
	PasswordHash string `json:"-"`
	// note is unexported and never crosses the boundary either.
	note string
}

// CreateEmployee builds a new employee record. The ID is the first 12 hex
// digits of the hash of the lower-cased e-mail address, so it is the same
// wherever the record is created.
func CreateEmployee(firstName, lastName, email string, age uint8, address Address) Employee {
	return Employee{
		ID:           shared.GetHash(strings.ToLower(email))[:12],
		FirstName:    firstName,
		LastName:     lastName,
		Email:        email,
		Age:          age,
		Address:      address,
		Tags:         []string{"new"},
		Active:       true,
		PasswordHash: shared.GetHash(email + ":initial"),
		note:         "created by CreateEmployee",
	}
}

// FullName is "First Last" (a method on a value receiver).
func (e Employee) FullName() string {
	return strings.TrimSpace(e.FirstName + " " + e.LastName)
}
