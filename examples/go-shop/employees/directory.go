package employees

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ManagerOf finds e's manager in staff. It returns nil when e has no manager
// or the manager is not in the list.
func ManagerOf(e Employee, staff []Employee) *Employee {
	if e.ManagerID == "" {
		return nil
	}
	for i := range staff {
		if staff[i].ID == e.ManagerID {
			return &staff[i]
		}
	}
	return nil
}

// Describe summarizes an optional employee for the admin UI.
func Describe(e *Employee) string {
	if e == nil {
		return "(nobody)"
	}
	return fmt.Sprintf("%s <%s>, %d, %s", e.FullName(), e.Email, e.Age, e.Address.City)
}

// ValidateEmail checks the shape of an e-mail address (not whether it exists).
func ValidateEmail(email string) error {
	if email == "" {
		return errors.New("email is empty")
	}
	at := strings.IndexByte(email, '@')
	if at <= 0 || at != strings.LastIndexByte(email, '@') {
		return fmt.Errorf("email %q needs exactly one @ after a local part", email)
	}
	if domain := email[at+1:]; !strings.Contains(domain, ".") {
		return fmt.Errorf("email domain %q has no dot", domain)
	}
	return nil
}

// AssignDesks gives each name a desk number, starting at firstDesk, in
// alphabetical order of the names.
func AssignDesks(names []string, firstDesk int) map[int]string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	desks := make(map[int]string, len(sorted))
	for i, n := range sorted {
		desks[firstDesk+i] = n
	}
	return desks
}

// HeadcountByCity counts the active employees in each city.
func HeadcountByCity(staff []Employee) map[string]int {
	counts := map[string]int{}
	for _, e := range staff {
		if e.Active {
			counts[e.Address.City]++
		}
	}
	return counts
}
