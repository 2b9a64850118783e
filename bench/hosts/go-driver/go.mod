module dcm-bench/hostdriver

go 1.26

require github.com/dcm-project/dcm/hosts/go v0.0.0

// bench/host-calls.ts builds a copy of this folder with the replace pointing at the checkout's hosts/go.
replace github.com/dcm-project/dcm/hosts/go => ../../../hosts/go
