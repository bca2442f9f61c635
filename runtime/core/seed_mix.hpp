// SplitMix64 (Steele, Lea and Flood 2014): a bijective 64-bit mixer. The trainers and analyses
// derive every per-iteration and per-purpose seed from the user's seed with it, so each draw is a
// pure function of (seed, purpose, index) and a resumed run repeats what an uninterrupted one did.
#pragma once

#include <cstdint>

namespace rnnjit {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace rnnjit
