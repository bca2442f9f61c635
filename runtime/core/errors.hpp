// UsageError, with SpecError and SourceLoc: the public rnnjit/errors.hpp, which says what each
// error means.
#pragma once

#include "rnnjit/errors.hpp"
