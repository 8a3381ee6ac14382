package murmur3

import "math/bits"

const (
	c1 = 0xcc9e2d51
	c2 = 0x1b873593
)

// load32 reads the little-endian uint32 at s[i:i+4]. The compiler merges the
// byte loads into a single 32-bit load.
func load32(s string, i int) uint32 {
	_ = s[i+3] // bounds check hint
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// mixK scrambles one 4-byte block.
func mixK(k uint32) uint32 {
	k *= c1
	k = bits.RotateLeft32(k, 15)
	return k * c2
}

// mixH folds a scrambled block into the running hash.
func mixH(h, k uint32) uint32 {
	h ^= mixK(k)
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

// blocks hashes all complete 4-byte blocks of s into h and returns the new
// hash and the unprocessed tail of s (0 to 3 bytes).
func blocks(h uint32, s string) (uint32, string) {
	n := len(s) &^ 3
	for i := 0; i < n; i += 4 {
		h = mixH(h, load32(s, i))
	}
	return h, s[n:]
}

// fmix is the finalisation mix, applied after XOR-ing the total length.
func fmix(h uint32, length int) uint32 {
	h ^= uint32(length)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// Sum32 returns the MurmurHash3 x86 32-bit hash (seed 0) of the bytes of s.
func Sum32(s string) uint32 {
	h, t := blocks(0, s)
	if len(t) > 0 {
		var k uint32
		for i := len(t) - 1; i >= 0; i-- {
			k = k<<8 | uint32(t[i])
		}
		h ^= mixK(k)
	}
	return fmix(h, len(s))
}

// Sum32Concat returns Sum32(a + b) without building the concatenation.
func Sum32Concat(a, b string) uint32 {
	h, ta := blocks(0, a)
	if len(ta) > 0 {
		// ta holds 1..3 bytes; complete the block straddling the boundary
		// with the first bytes of b, if there are enough of them.
		need := 4 - len(ta)
		if len(b) >= need {
			var k uint32
			for i := need - 1; i >= 0; i-- {
				k = k<<8 | uint32(b[i])
			}
			for i := len(ta) - 1; i >= 0; i-- {
				k = k<<8 | uint32(ta[i])
			}
			h = mixH(h, k)
			h, tb := blocks(h, b[need:])
			return sum32Tail(h, "", tb, len(a)+len(b))
		}
		// Fewer than 4 bytes in total remain: ta+b is the tail.
		return sum32Tail(h, ta, b, len(a)+len(b))
	}
	h, tb := blocks(h, b)
	return sum32Tail(h, "", tb, len(a)+len(b))
}

// sum32Tail mixes the tail t1+t2 (fewer than 4 bytes in total) and finalises.
func sum32Tail(h uint32, t1, t2 string, length int) uint32 {
	if len(t1)+len(t2) > 0 {
		var k uint32
		for i := len(t2) - 1; i >= 0; i-- {
			k = k<<8 | uint32(t2[i])
		}
		for i := len(t1) - 1; i >= 0; i-- {
			k = k<<8 | uint32(t1[i])
		}
		h ^= mixK(k)
	}
	return fmix(h, length)
}
