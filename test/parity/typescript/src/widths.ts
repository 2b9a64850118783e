// Integer widths and float32, declared the AssemblyScript way: dcm's TypeScript
// adapter reads these alias names as the value model's int<8|16|32|64> and
// float<32> (languages/typescript/README.md), so the signatures here are the
// Go/Rust/AssemblyScript ones. At run time they are plain numbers and bigints.
export type i8 = number;
export type i16 = number;
export type i32 = number;
export type u8 = number;
export type u32 = number;
export type f32 = number;
export type f64 = number;
export type i64 = bigint;
export type u64 = bigint;
