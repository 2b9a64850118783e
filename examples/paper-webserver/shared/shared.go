// Package shared holds the code fragments of the paper-style web server
// example: each function here is named in CFD.yaml and may run on the client
// (WebAssembly) or on the server (native plugin).
package shared

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
)

func Add(a, b int) int { return a + b }

func Sub(a, b int) int { return a - b }

func Mul(a, b int) int { return a * b }

// Div refuses a zero divisor with an error result.
func Div(a, b float64) (float64, error) {
	if b == 0 {
		return 0, fmt.Errorf("cannot divide %g by zero", a)
	}
	return a / b, nil
}

// MultiplyByTwo calls a helper that is no entry point of its own.
func MultiplyByTwo(n int) int {
	return n * getNumberTwo()
}

func getNumberTwo() int {
	return 2
}

// GetHash is the hex sha256 of its input.
func GetHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// FuncFunction returns a counter closure: a func result cannot cross the boundary.
func FuncFunction() func() int {
	n := 0
	return func() int {
		n++
		return n
	}
}

func BoolFunction(flag bool) bool {
	return !flag
}

func Pythagoras(a, b float64) float64 {
	return math.Sqrt(a*a + b*b)
}

func SumArray(values [5]int) int {
	total := 0
	for _, v := range values {
		total += v
	}
	return total
}

func VariadicFunction(number int, args ...int) int {
	for _, a := range args {
		number = number*10 + a
	}
	return number
}

// ExternalVariable reads package-level variables and a constant.
func ExternalVariable() int {
	return NumberFive5 + NumberSix + NumberSeven + NumberEight + NumberNine + NumberTen + MyObj.Age
}

func CreatingEmployee(col Colleague) Employee {
	return Employee{
		Name:   col.Name,
		Age:    col.Age,
		Skills: []string{strings.ToLower(col.Team)},
		Mentor: &MyObj,
	}
}

// MultiReturn has three results, the last an error.
func MultiReturn(col Colleague, skills []string) (*Employee, []int, error) {
	if len(skills) == 0 {
		return nil, nil, errors.New(col.Name + " needs at least one skill")
	}
	lengths := make([]int, len(skills))
	for i, s := range skills {
		lengths[i] = len(s)
	}
	return &Employee{Name: col.Name, Age: col.Age, Skills: skills}, lengths, nil
}

// ObjectInArray counts the mentors older than `number`.
func ObjectInArray(ments []Mentor, number int) int {
	count := 0
	for _, m := range ments {
		if m.Age > number {
			count++
		}
	}
	return count
}

func ModifyMap(stock map[string]int) map[string]int {
	out := make(map[string]int, len(stock)+1)
	total := 0
	for k, v := range stock {
		out[strings.ToUpper(k)] = v * 2
		total += v
	}
	out["total"] = total
	return out
}

// ReturnError fails with a *CustomError for status codes of 400 and above.
func ReturnError(status int) (string, error) {
	if status >= 400 {
		return "", &CustomError{StatusCode: status, Err: errors.New("request failed")}
	}
	return fmt.Sprintf("status %d: ok", status), nil
}

// Check prints what it checks: output of a fragment, not a result.
func Check(label string) bool {
	fmt.Println("checking", label)
	return strings.TrimSpace(label) != ""
}

// CalcArea sums the areas through getArea, which takes the IShape interface.
func CalcArea(r Rectangle, c Circle) float64 {
	return getArea(r) + getArea(c)
}

// CountVisit writes a package-level variable: each module instance counts on its own.
func CountVisit() int {
	visits++
	return visits
}
