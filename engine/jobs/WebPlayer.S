// The web page export's player (resources/web/player.html and player.js), embedded in the binary so that the
// installed program needs no resource path. WAFT_WEB_PLAYER_HTML and WAFT_WEB_PLAYER_JS are the files'
// absolute paths (strings), set by engine/CMakeLists.txt, which also makes this object depend on them.
// Read by webPlayerHtml() / webPlayerScript() (WebPageJob.cpp); hidden symbols.

    .section .rodata.waft_web_player, "a", @progbits
    .globl waft_web_player_html
    .hidden waft_web_player_html
    .type waft_web_player_html, @object
waft_web_player_html:
    .incbin WAFT_WEB_PLAYER_HTML
    .globl waft_web_player_html_end
    .hidden waft_web_player_html_end
waft_web_player_html_end:
    .byte 0
    .globl waft_web_player_js
    .hidden waft_web_player_js
    .type waft_web_player_js, @object
waft_web_player_js:
    .incbin WAFT_WEB_PLAYER_JS
    .globl waft_web_player_js_end
    .hidden waft_web_player_js_end
waft_web_player_js_end:
    .byte 0

// No executable stack.
    .section .note.GNU-stack, "", @progbits
