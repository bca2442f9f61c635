// Host-only mapping between the IR's noise enumeration and the device-usable one in
// math/noise_math.hpp (which cannot include ir/kinds.hpp: NVRTC compiles it standalone).
#pragma once

#include "math/noise_math.hpp"
#include "ir/kinds.hpp"

namespace rnnjit::noise {

inline NoiseKind to_noise_kind(ir::Noise n) {
  switch (n) {
    case ir::Noise::None:
      return NoiseKind::None;
    case ir::Noise::Gamma:
      return NoiseKind::Gamma;
    case ir::Noise::Gauss:
      return NoiseKind::Gauss;
    case ir::Noise::PureGauss:
      return NoiseKind::PureGauss;
  }
  return NoiseKind::None;
}

inline ir::Noise to_ir_noise(NoiseKind k) {
  switch (k) {
    case NoiseKind::None:
      return ir::Noise::None;
    case NoiseKind::Gamma:
      return ir::Noise::Gamma;
    case NoiseKind::Gauss:
      return ir::Noise::Gauss;
    case NoiseKind::PureGauss:
      return ir::Noise::PureGauss;
  }
  return ir::Noise::None;
}

}  // namespace rnnjit::noise
