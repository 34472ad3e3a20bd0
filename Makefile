# kinmatch — see README.md.  `make` builds ./kinmatch, `make check` runs every test.
CC      ?= cc
PKGS     = htslib gsl zlib sqlite3
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wdouble-promotion -Wno-unused-parameter
# Same answer at any thread count: no contraction into FMA, never -ffast-math.
KMFLAGS  = -D_GNU_SOURCE -ffp-contract=off -fopenmp -MMD -MP
CPPFLAGS += $(shell pkg-config --cflags $(PKGS))
LIBS     = $(shell pkg-config --libs $(PKGS)) -lm
ifeq ($(asan),1)
  CFLAGS += -fsanitize=address -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address
endif
ifeq ($(ubsan),1)
  CFLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=undefined
endif
# tsan=1 (core): ThreadSanitizer needs every synchronisation it cannot see explained to
# it.  GCC's libgomp is not instrumented (its barriers and task queue look like races),
# so tsan=1 builds with clang and LLVM's libomp, and `make check` loads Archer
# (libarcher.so, the OMPT tool that tells TSan about OpenMP's barriers, locks and
# tasks; Debian: libomp-14-dev).  ignore_noninstrumented_modules=1 is the option LLVM
# asks for with Archer: accesses made inside libomp.so itself (not instrumented) are not
# reported; every access of kinmatch's own code still is.  Nothing else is suppressed.
# A clean build directory is needed when switching (make clean): the objects differ.
ifeq ($(tsan),1)
  CC = clang
  LLVM_LIB ?= $(firstword $(wildcard /usr/lib/llvm-1[4-9]/lib /usr/lib/llvm-[2-9][0-9]/lib))
  CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=thread -L$(LLVM_LIB) -Wl,-rpath,$(LLVM_LIB)
  KMFLAGS := $(subst -fopenmp,-fopenmp=libomp,$(KMFLAGS))
  OMPLINK = -fopenmp=libomp
  CHECK_ENV = OMP_TOOL_LIBRARIES=$(LLVM_LIB)/libarcher.so ARCHER_OPTIONS=verbose=0 \
              TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=1 exitcode=66 second_deadlock_stack=1 $(TSAN_OPTIONS)"
else
  OMPLINK = -fopenmp
endif

SRC_LIB  = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ_LIB  = $(SRC_LIB:.c=.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:.c=)

.PHONY: all check unit demo bench fuzz clean
all: kinmatch

# the compile phase's inner loops (peeling, log10, the lineage columns): let them vectorise
src/peel.o src/flog.o src/lineage.o src/lin_paths.o src/lin_y.o src/lin_mt.o src/theta.o: CFLAGS += -O3

src/%.o: src/%.c
	$(CC) $(CPPFLAGS) $(WARN) $(KMFLAGS) $(CFLAGS) -c -o $@ $<

libkinmatch.a: $(OBJ_LIB)
	$(AR) rcs $@ $^

kinmatch: src/main.o libkinmatch.a
	$(CC) $(OMPLINK) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/unit/%: tests/unit/%.c libkinmatch.a
	$(CC) $(CPPFLAGS) $(WARN) $(KMFLAGS) -Wno-missing-prototypes $(CFLAGS) $(LDFLAGS) -Isrc -o $@ $< libkinmatch.a $(LIBS)

unit: $(UNIT_BIN)

check: kinmatch unit
	$(CHECK_ENV) bash tests/run.sh

demo: kinmatch
	bash profiles/run-demo.sh

bench: kinmatch
	bash bench/run.sh $(SIZE)

fuzz:
	$(MAKE) -C tests/fuzz

clean:
	rm -f src/*.o src/*.d tests/unit/*.d libkinmatch.a kinmatch $(UNIT_BIN)
	rm -rf tests/out

-include $(OBJ_LIB:.o=.d) src/main.d $(UNIT_SRC:.c=.d)
