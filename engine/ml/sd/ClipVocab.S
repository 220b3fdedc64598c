// CLIP's BPE merges (resources/clip/bpe_simple_vocab_16e6.txt.gz, MIT, see resources/clip/ATTRIBUTION.md),
// embedded in the binary so that the installed program needs no resource path. WAFT_CLIP_VOCAB_GZ is the file's
// absolute path (a string), set by engine/CMakeLists.txt, which also makes this object depend on the file.
// Read by ClipTokenizer::embeddedVocab(); hidden symbols, so that position-independent code reaches them directly.

    .section .rodata.waft_clip_vocab, "a", @progbits
    .balign 16
    .globl waft_clip_vocab_gz
    .hidden waft_clip_vocab_gz
    .type waft_clip_vocab_gz, @object
waft_clip_vocab_gz:
    .incbin WAFT_CLIP_VOCAB_GZ
    .globl waft_clip_vocab_gz_end
    .hidden waft_clip_vocab_gz_end
    .type waft_clip_vocab_gz_end, @object
waft_clip_vocab_gz_end:
    .byte 0
    .size waft_clip_vocab_gz, waft_clip_vocab_gz_end - waft_clip_vocab_gz

// No executable stack.
    .section .note.GNU-stack, "", @progbits
