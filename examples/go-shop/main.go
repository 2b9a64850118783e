// Command goshop is the HTTP backend of a small web shop. It is an ordinary
// server: dcm moves the functions named in dcm.yaml, not this file.
package main

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"strconv"

	"example.com/goshop/employees"
	"example.com/goshop/mathx"
	"example.com/goshop/pricing"
	"example.com/goshop/shared"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("write response: %v", err)
	}
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, errors.New("missing query parameter " + name)
	}
	return strconv.Atoi(v)
}

type createEmployeeRequest struct {
	FirstName string            `json:"firstName"`
	LastName  string            `json:"lastName"`
	Email     string            `json:"email"`
	Age       uint8             `json:"age"`
	Address   employees.Address `json:"address"`
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /api/hash", func(w http.ResponseWriter, r *http.Request) {
		s := r.URL.Query().Get("s")
		writeJSON(w, http.StatusOK, map[string]string{"hash": shared.GetHash(s), "id": shared.StableID(s)})
	})

	mux.HandleFunc("GET /api/slug", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"slug": shared.Slugify(r.URL.Query().Get("title"))})
	})

	mux.HandleFunc("POST /api/employees", func(w http.ResponseWriter, r *http.Request) {
		var req createEmployeeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if err := employees.ValidateEmail(req.Email); err != nil {
			writeError(w, http.StatusUnprocessableEntity, err)
			return
		}
		e := employees.CreateEmployee(req.FirstName, req.LastName, req.Email, req.Age, req.Address)
		writeJSON(w, http.StatusCreated, e)
	})

	mux.HandleFunc("POST /api/cart/total", func(w http.ResponseWriter, r *http.Request) {
		var cart pricing.Cart
		if err := json.NewDecoder(r.Body).Decode(&cart); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		total, err := pricing.CartTotal(cart)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"total": total, "formatted": total.Format()})
	})

	mux.HandleFunc("GET /api/price", func(w http.ResponseWriter, r *http.Request) {
		net, err := strconv.ParseFloat(r.URL.Query().Get("net"), 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		gross := pricing.GrossPrice(net)
		writeJSON(w, http.StatusOK, map[string]any{"gross": gross, "formatted": pricing.ToCents(gross).Format()})
	})

	mux.HandleFunc("GET /api/fib", func(w http.ResponseWriter, r *http.Request) {
		n, err := intParam(r, "n")
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]uint64{"fib": mathx.Fibonacci(n)})
	})

	mux.HandleFunc("GET /api/prime", func(w http.ResponseWriter, r *http.Request) {
		n, err := intParam(r, "n")
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"prime": mathx.NthPrime(n)})
	})

	return mux
}

func main() {
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = ":" + port
	}
	log.Printf("goshop listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, newMux()))
}
