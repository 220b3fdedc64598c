#version 450
// Shows the rendered frame with zoom and pan: scene pixel = (screen - centre - pan) / zoom + scene centre.
layout(set = 0, binding = 0) uniform sampler2D frame;
layout(push_constant) uniform View {
    vec4 sizes;  // viewport width, height; scene width, height (pixels)
    vec4 view;   // zoom (screen px per scene px), pan x, pan y
} pc;
layout(location = 0) out vec4 colour;

void main() {
    const vec2 scene = (gl_FragCoord.xy - 0.5 * pc.sizes.xy - pc.view.yz) / pc.view.x + 0.5 * pc.sizes.zw;
    const vec2 uv = scene / pc.sizes.zw;
    if (any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) {
        colour = vec4(0.12, 0.12, 0.13, 1.0);
        return;
    }
    colour = texture(frame, uv);
}
