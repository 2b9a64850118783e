package shared

// The values, types and methods the fragments of shared.go use. Several of
// them are fragments themselves (CFD.yaml, ids 13-20, 22-23, 28-36, 39).

import (
	"fmt"
	mathematics "math"
)

// Package-level values read by ExternalVariable (ids 13-19).
var NumberFive5 = 5
var NumberSix = 6
var NumberSeven int = 7
var NumberEight = 8
var NumberNine = 9

// NumberTen is a constant: `globalVar: true` covers constants too.
const NumberTen = 10

// MyObj is a package-level variable of a struct type (id 19).
var MyObj = Mentor{Name: "Grace", Age: 37}

// visits is written by CountVisit: state that lives in each module instance.
var visits int

type Mentor struct {
	Name string
	Age  int
}

type Employee struct {
	Name   string
	Age    int
	Skills []string
	Mentor *Mentor
}

type Colleague struct {
	Name string
	Team string
	Age  int
}

// CustomError wraps an error with a status code. Its `Err` field is an
// interface, so neither the type nor its Error method can cross the
// client/server boundary; ReturnError still returns it as an error.
type CustomError struct {
	StatusCode int
	Err        error
}

func (e *CustomError) Error() string {
	return fmt.Sprintf("status %d: %v", e.StatusCode, e.Err)
}

type IShape interface {
	Area() float64
}

type Rectangle struct {
	Width, Height float64
}

type Circle struct {
	Radius float64
}

// Two methods named Area in one file: the CFD names both `Area` and tells
// them apart by the type fragment each one lists in `dependsOn`.
func (c Circle) Area() float64 {
	return mathematics.Pi * c.Radius * c.Radius
}

func (r Rectangle) Area() float64 {
	return r.Width * r.Height
}

// getArea takes an interface, which cannot cross the boundary: it is built as
// code CalcArea uses, and is not callable itself.
func getArea(s IShape) float64 {
	return s.Area()
}
