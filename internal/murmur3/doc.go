// Package murmur3 implements the 32-bit x86 variant of MurmurHash3 with seed
// 0, bit-for-bit identical to github.com/spaolacci/murmur3's New32/Sum32 (the
// hash used by Flagship's bucketing), without allocating. Sum32Concat hashes
// the concatenation of two strings without building it.
package murmur3
