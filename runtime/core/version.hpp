// rnnjit::version(): the public rnnjit/version.hpp.
#pragma once

#include "rnnjit/version.hpp"
