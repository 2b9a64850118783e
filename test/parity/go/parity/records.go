package parity

// Point is a point on an integer grid.
type Point struct {
	X int32 `json:"x"`
	Y int32 `json:"y"`
}

// Line is two points (a record nested in a record).
type Line struct {
	From Point `json:"from"`
	To   Point `json:"to"`
}

// Person has a field of every kind: string, small int, list and optional record.
type Person struct {
	Name string   `json:"name"`
	Age  uint8    `json:"age"`
	Tags []string `json:"tags"`
	Home *Point   `json:"home"`
}

// Rect is a rectangle with a method.
type Rect struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Area is width × height.
func (r Rect) Area() float64 {
	return r.Width * r.Height
}

// RecordMake builds a Point.
func RecordMake(x, y int32) Point {
	return Point{X: x, Y: y}
}

// RecordMove moves both ends of l by (dx, dy), with int32 wrap-around.
func RecordMove(l Line, dx, dy int32) Line {
	return Line{
		From: Point{X: l.From.X + dx, Y: l.From.Y + dy},
		To:   Point{X: l.To.X + dx, Y: l.To.Y + dy},
	}
}

// RecordFields builds a Person from its parts.
func RecordFields(name string, age uint8, tags []string, home *Point) Person {
	return Person{Name: name, Age: age, Tags: tags, Home: home}
}

// OptionalOr returns *p, or fallback when p is nil.
func OptionalOr(p *Point, fallback Point) Point {
	if p == nil {
		return fallback
	}
	return *p
}

// OptionalRecord finds the first point with the given x, or nil.
func OptionalRecord(points []Point, x int32) *Point {
	for i := range points {
		if points[i].X == x {
			p := points[i]
			return &p
		}
	}
	return nil
}
