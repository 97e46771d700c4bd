# libctscope: the static core every front-end links.
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCTSCOPE := $(BUILD)/libctscope.a
ALL += $(LIBCTSCOPE)

$(LIBCTSCOPE): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
