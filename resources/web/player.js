'use strict';
// Waft's web player: plays a scene's seamless loop and answers drags as the app does, in WebGL2.
// The numbers follow the engine (names in brackets): the loop's coordinates q_j(t) = g_j e^{i 2 pi f'_j (t0 + t)}
// [SceneAnimator], the displacement F = Re sum_j S_j q_j at the mode-shape samples, Catmull-Rom between them
// [FastFrameRenderer], forward softmax splatting with the scene's weights W = exp(z - 20) [SoftmaxSplatter],
// push-pull hole fill [HoleFill] and the modal simulator's pull and ring-down [ModalSimulator].
// A page without WebGL2 or float render targets plays the embedded loop and says why.
(function () {
  const note = document.getElementById('note');
  const canvas = document.getElementById('view');
  const ring = document.getElementById('grab');
  const api = { ready: false, interactive: false, reason: '', error: '' };
  window.waft = api;

  function bytesOf(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
    return out;
  }

  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function showFallback(data, why) {
    api.reason = why;
    canvas.hidden = true;
    if (data && data.fallback) {
      const img = document.getElementById('fallback');
      img.src = URL.createObjectURL(new Blob([bytesOf(data.fallback)], { type: 'image/webp' }));
      img.hidden = false;
      note.textContent = 'Not interactive here (' + why + '): playing the scene\u2019s loop.';
    } else {
      note.textContent = 'This scene cannot play here: ' + why + '.';
    }
    api.ready = true;
  }

  function catmullRom(t) {
    const t2 = t * t, t3 = t2 * t;
    return [0.5 * (-t + 2 * t2 - t3), 0.5 * (2 - 5 * t2 + 3 * t3), 0.5 * (t + 4 * t2 - 3 * t3), 0.5 * (-t2 + t3)];
  }

  // ---- The scene's numbers, on the CPU --------------------------------------------------------------------

  class Scene {
    constructor(data, raw) {
      this.width = data.width;
      this.height = data.height;
      this.stride = data.stride;
      this.nx = data.nodesX;
      this.ny = data.nodesY;
      this.px = this.nx + 3;  // padded: one node before, two after (replicated), as FastFrameRenderer
      this.py = this.ny + 3;
      this.bands = data.bands;
      this.k = data.bands.length;
      const nodes = this.nx * this.ny;
      const expected = (this.k * 4 + 1) * nodes;
      if (raw.length !== expected) throw new Error('the motion data is ' + raw.length + ' bytes, not ' + expected);
      // shapes[j * 4 + c]: padded Float32Array of S_j channel c (Re Sx, Im Sx, Re Sy, Im Sy).
      this.shapes = [];
      let at = 0;
      const decodeRows = () => {
        const plane = new Uint8Array(nodes);
        for (let y = 0; y < this.ny; ++y) {
          let previous = 128;
          for (let x = 0; x < this.nx; ++x) {
            previous = (previous + raw[at++]) & 255;
            plane[y * this.nx + x] = previous;
          }
        }
        return plane;
      };
      for (let j = 0; j < this.k; ++j)
        for (let c = 0; c < 4; ++c) {
          const plane = decodeRows();
          const scale = this.bands[j].scale[c];
          this.shapes.push(this.pad(plane, (v) => (v - 128) * scale));
        }
      const z = decodeRows();
      this.z = this.pad(z, (v) => v * data.zStep);
      this.fieldX = new Float32Array(this.px * this.py);
      this.fieldY = new Float32Array(this.px * this.py);
      this.phaseW = [];
      for (let p = 0; p < this.stride; ++p) this.phaseW.push(catmullRom(p / this.stride));
    }

    pad(plane, value) {
      const out = new Float32Array(this.px * this.py);
      for (let y = 0; y < this.py; ++y) {
        const sy = Math.min(Math.max(y - 1, 0), this.ny - 1);
        for (let x = 0; x < this.px; ++x) {
          const sx = Math.min(Math.max(x - 1, 0), this.nx - 1);
          out[y * this.px + x] = value(plane[sy * this.nx + sx]);
        }
      }
      return out;
    }

    // Catmull-Rom value of a padded node grid at pixel (x, y) (integers inside the image).
    sample(grid, x, y) {
      const cx = Math.floor(x / this.stride), cy = Math.floor(y / this.stride);
      const wx = this.phaseW[x - cx * this.stride], wy = this.phaseW[y - cy * this.stride];
      let sum = 0;
      for (let b = 0; b < 4; ++b) {
        const row = (cy + b) * this.px + cx;
        sum += wy[b] * (wx[0] * grid[row] + wx[1] * grid[row + 1] + wx[2] * grid[row + 2] + wx[3] * grid[row + 3]);
      }
      return sum;
    }

    // F = Re sum_j S_j q_j at every node (qr, qi: Float64Array of K).
    synthesize(qr, qi) {
      const fx = this.fieldX, fy = this.fieldY;
      fx.fill(0);
      fy.fill(0);
      const n = fx.length;
      for (let j = 0; j < this.k; ++j) {
        const a = qr[j], b = qi[j];
        if (a === 0 && b === 0) continue;
        const rx = this.shapes[j * 4], ix = this.shapes[j * 4 + 1], ry = this.shapes[j * 4 + 2];
        const iy = this.shapes[j * 4 + 3];
        for (let i = 0; i < n; ++i) {
          fx[i] += rx[i] * a - ix[i] * b;
          fy[i] += ry[i] * a - iy[i] * b;
        }
      }
    }
  }

  // ModalSimulator, the same equations and constants: unit-mass modes q'' + 2 xi w q' + w^2 q = f, a pull is
  // f_j = alpha conj(S_j(p)) . d with alpha making the grabbed point follow the cursor, critically damped while
  // held, semi-implicit Euler with w_max h <= 0.05.
  class Modal {
    constructor(scene, data) {
      this.scene = scene;
      this.k = scene.k;
      this.omega = Float64Array.from(scene.bands, (b) => 2 * Math.PI * b.hz);
      this.xi = data.damping;
      this.holdXi = data.holdDamping;
      this.floor = data.mobilityFloor;
      this.refMobility = data.referenceMobility;
      this.qr = new Float64Array(this.k);
      this.qi = new Float64Array(this.k);
      this.vr = new Float64Array(this.k);
      this.vi = new Float64Array(this.k);
      this.fr = new Float64Array(this.k);
      this.fi = new Float64Array(this.k);
      this.held = false;
    }

    shape(j, x, y) {
      const s = this.scene.shapes;
      return [this.scene.sample(s[j * 4], x, y), this.scene.sample(s[j * 4 + 1], x, y),
        this.scene.sample(s[j * 4 + 2], x, y), this.scene.sample(s[j * 4 + 3], x, y)];
    }

    setPull(x, y, dx, dy) {
      x = Math.min(Math.max(x, 0), this.scene.width - 1);
      y = Math.min(Math.max(y, 0), this.scene.height - 1);
      const pr = new Float64Array(this.k), pi = new Float64Array(this.k);
      let compliance = 0;
      for (let j = 0; j < this.k; ++j) {
        const s = this.shape(j, x, y);
        // conj(Sx) dx + conj(Sy) dy
        pr[j] = s[0] * dx + s[2] * dy;
        pi[j] = -s[1] * dx - s[3] * dy;
        compliance += (pr[j] * pr[j] + pi[j] * pi[j]) / (this.omega[j] * this.omega[j]);
      }
      const d2 = dx * dx + dy * dy;
      const floor = this.floor * this.refMobility * d2;
      const denominator = Math.max(compliance, floor);
      const alpha = denominator > 0 ? d2 / denominator : 0;
      for (let j = 0; j < this.k; ++j) {
        this.fr[j] = Math.fround(alpha * pr[j]);
        this.fi[j] = Math.fround(alpha * pi[j]);
      }
      this.held = true;
    }

    release() {
      this.fr.fill(0);
      this.fi.fill(0);
      this.held = false;
    }

    step(dt) {
      dt = Math.min(dt, 0.25);
      if (!(dt > 0)) return;
      if (!this.held && this.atRest()) return;
      let wMax = 0;
      for (const w of this.omega) wMax = Math.max(wMax, w);
      // As the engine: w_max h <= 0.05. A scene of absurdly fast bands would need millions of sub-steps a
      // frame; past kMaxSubsteps its time runs slower instead of the page freezing.
      const kMaxSubsteps = 4096;
      const substeps = Math.min(kMaxSubsteps, Math.max(1, Math.ceil((wMax * dt) / 0.05)));
      const h = Math.min(dt / substeps, 0.05 / Math.max(wMax, 1e-9));
      const xi = this.held ? Math.max(this.xi, this.holdXi) : this.xi;
      for (let s = 0; s < substeps; ++s)
        for (let j = 0; j < this.k; ++j) {
          const w = this.omega[j];
          this.vr[j] += h * (this.fr[j] - 2 * xi * w * this.vr[j] - w * w * this.qr[j]);
          this.vi[j] += h * (this.fi[j] - 2 * xi * w * this.vi[j] - w * w * this.qi[j]);
          this.qr[j] += h * this.vr[j];
          this.qi[j] += h * this.vi[j];
        }
    }

    atRest() {
      for (let j = 0; j < this.k; ++j)
        if (Math.abs(this.qr[j]) + Math.abs(this.qi[j]) + Math.abs(this.vr[j]) + Math.abs(this.vi[j]) > 1e-9) return false;
      return true;
    }

    // Displacement of pixel (x, y) from the modal coordinates alone.
    displacementAt(x, y) {
      let dx = 0, dy = 0;
      for (let j = 0; j < this.k; ++j) {
        const s = this.shape(j, x, y);
        dx += s[0] * this.qr[j] - s[1] * this.qi[j];
        dy += s[2] * this.qr[j] - s[3] * this.qi[j];
      }
      return [dx, dy];
    }
  }

  // ---- The renderer, in WebGL2 ----------------------------------------------------------------------------

  const kQuad = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

  // One point per source pixel, 2 x 2 pixels wide, centred between the four pixels its bilinear taps reach;
  // the fragment shader gives each its tap weight. The accumulator has a one-pixel border so taps at -1 land.
  const kSplatVertex = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D uFieldX, uFieldY, uZ;
uniform highp sampler2D uPhoto;
uniform ivec2 uSize;
uniform int uStride;
uniform vec4 uPhase[8];
uniform float uWeightFloor;
out vec4 vColour;
out vec2 vTarget;
float cr(highp sampler2D grid, int cx, int cy, vec4 wx, vec4 wy) {
  float sum = 0.0;
  for (int b = 0; b < 4; ++b) {
    vec4 row = vec4(texelFetch(grid, ivec2(cx, cy + b), 0).r, texelFetch(grid, ivec2(cx + 1, cy + b), 0).r,
                    texelFetch(grid, ivec2(cx + 2, cy + b), 0).r, texelFetch(grid, ivec2(cx + 3, cy + b), 0).r);
    sum += wy[b] * dot(wx, row);
  }
  return sum;
}
void main() {
  int x = gl_VertexID % uSize.x;
  int y = gl_VertexID / uSize.x;
  int cx = x / uStride, cy = y / uStride;
  vec4 wx = uPhase[x - cx * uStride], wy = uPhase[y - cy * uStride];
  vec2 t = vec2(float(x), float(y)) + vec2(cr(uFieldX, cx, cy, wx, wy), cr(uFieldY, cx, cy, wx, wy));
  vec2 size = vec2(uSize);
  gl_PointSize = 2.0;
  if (!(t.x > -1.0 && t.x < size.x && t.y > -1.0 && t.y < size.y)) {
    gl_Position = vec4(4.0, 4.0, 4.0, 1.0);  // outside: clipped
    vColour = vec4(0.0);
    vTarget = vec2(0.0);
    return;
  }
  vec2 centre = floor(t) + 2.0;  // window coordinates: pixel i of the image is pixel i + 1 of the target
  gl_Position = vec4(centre / (size + 2.0) * 2.0 - 1.0, 0.0, 1.0);
  // z between its samples: bilinear is enough for a weight (its rank is what counts).
  float zx = float(x) / float(uStride), zy = float(y) / float(uStride);
  ivec2 z0 = ivec2(floor(vec2(zx, zy)));
  vec2 zf = vec2(zx, zy) - vec2(z0);
  float z = mix(mix(texelFetch(uZ, z0 + ivec2(1, 1), 0).r, texelFetch(uZ, z0 + ivec2(2, 1), 0).r, zf.x),
                mix(texelFetch(uZ, z0 + ivec2(1, 2), 0).r, texelFetch(uZ, z0 + ivec2(2, 2), 0).r, zf.x), zf.y);
  float w = exp(max(z - 20.0, uWeightFloor));
  vColour = vec4(texelFetch(uPhoto, ivec2(x, y), 0).rgb * w, w);
  vTarget = t;
}`;

  const kSplatFragment = `#version 300 es
precision highp float;
in vec4 vColour;
in vec2 vTarget;
out vec4 outColour;
void main() {
  vec2 tap = 1.0 - abs(gl_FragCoord.xy - 1.5 - vTarget);
  float weight = tap.x * tap.y;
  if (!(weight > 0.0)) discard;
  outColour = vColour * weight;
}`;

  // Normalise: colour / weight where something landed; elsewhere a hole (alpha 0).
  const kResolve = `#version 300 es
precision highp float;
uniform highp sampler2D uAccum;
out vec4 outColour;
void main() {
  vec4 a = texelFetch(uAccum, ivec2(gl_FragCoord.xy) + 1, 0);
  outColour = a.a > 0.0 ? vec4(a.rgb / a.a, 1.0) : vec4(0.0);
}`;

  // Push: the mean of the valid children of a 2 x 2 block.
  const kPush = `#version 300 es
precision highp float;
uniform highp sampler2D uFine;
uniform ivec2 uFineSize;
out vec4 outColour;
void main() {
  ivec2 base = ivec2(gl_FragCoord.xy) * 2;
  vec3 sum = vec3(0.0);
  float count = 0.0;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      ivec2 p = base + ivec2(dx, dy);
      if (p.x >= uFineSize.x || p.y >= uFineSize.y) continue;
      vec4 c = texelFetch(uFine, p, 0);
      if (c.a > 0.0) { sum += c.rgb; count += 1.0; }
    }
  outColour = count > 0.0 ? vec4(sum / count, 1.0) : vec4(0.0);
}`;

  // Pull: holes of a level take the bilinear sample of the filled level above (HoleFill's pullSample).
  const kPull = `#version 300 es
precision highp float;
uniform highp sampler2D uLevel, uCoarse;
uniform ivec2 uCoarseSize;
out vec4 outColour;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec4 own = texelFetch(uLevel, p, 0);
  if (own.a > 0.0) { outColour = own; return; }
  vec2 c = clamp((vec2(p) + 0.5) * 0.5 - 0.5, vec2(0.0), vec2(uCoarseSize - 1));
  ivec2 c0 = ivec2(c);
  ivec2 c1 = min(c0 + 1, uCoarseSize - 1);
  vec2 f = c - vec2(c0);
  vec4 top = mix(texelFetch(uCoarse, c0, 0), texelFetch(uCoarse, ivec2(c1.x, c0.y), 0), f.x);
  vec4 bottom = mix(texelFetch(uCoarse, ivec2(c0.x, c1.y), 0), texelFetch(uCoarse, c1, 0), f.x);
  outColour = mix(top, bottom, f.y);
}`;

  // To the canvas, image row 0 at the top.
  const kShow = `#version 300 es
precision highp float;
uniform highp sampler2D uImage;
uniform int uHeight;
out vec4 outColour;
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  outColour = vec4(texelFetch(uImage, ivec2(p.x, uHeight - 1 - p.y), 0).rgb, 1.0);
}`;

  class Renderer {
    constructor(gl, scene, photo) {
      this.gl = gl;
      this.scene = scene;
      const w = scene.width, h = scene.height;
      if (!gl.getExtension('EXT_color_buffer_float')) throw new Error('no float render targets (EXT_color_buffer_float)');
      const maxSide = Math.min(gl.getParameter(gl.MAX_TEXTURE_SIZE), ...gl.getParameter(gl.MAX_VIEWPORT_DIMS));
      if (w + 2 > maxSide || h + 2 > maxSide)
        throw new Error('this GPU draws at most ' + maxSide + ' pixels a side, the scene needs ' + (Math.max(w, h) + 2));
      const points = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE);
      if (!(points[1] >= 2)) throw new Error('this GPU draws no 2-pixel points');
      // Float32 accumulation needs blending on float32 targets; without it, half floats with the weights'
      // range cut to e^-9 (half floats lose anything smaller).
      this.floatBlend = !!gl.getExtension('EXT_float_blend');
      this.accumFormat = this.floatBlend ? gl.RGBA32F : gl.RGBA16F;
      this.weightFloor = this.floatBlend ? -1e9 : -9.0;
      this.programs = {
        splat: this.program(kSplatVertex, kSplatFragment),
        resolve: this.program(kQuad, kResolve),
        push: this.program(kQuad, kPush),
        pull: this.program(kQuad, kPull),
        show: this.program(kQuad, kShow),
      };
      this.photo = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, this.photo);
      gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
      gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, photo);
      this.nearest();
      this.fieldX = this.floatTexture(scene.px, scene.py, gl.R32F);
      this.fieldY = this.floatTexture(scene.px, scene.py, gl.R32F);
      this.z = this.floatTexture(scene.px, scene.py, gl.R32F);
      gl.bindTexture(gl.TEXTURE_2D, this.z);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, scene.px, scene.py, gl.RED, gl.FLOAT, scene.z);
      this.accum = this.target(w + 2, h + 2, this.accumFormat);
      // The pyramid: levels[l] (pushed) and filled[l], down to 1 x 1.
      this.levels = [];
      this.filled = [];
      let lw = w, lh = h;
      for (;;) {
        this.levels.push(this.target(lw, lh, gl.RGBA32F));
        this.filled.push(lw === w && lh === h ? null : this.target(lw, lh, gl.RGBA32F));
        if (lw === 1 && lh === 1) break;
        lw = Math.ceil(lw / 2);
        lh = Math.ceil(lh / 2);
      }
      this.filled[0] = this.target(w, h, gl.RGBA32F);
      this.filled[this.filled.length - 1] = this.levels[this.levels.length - 1];
      this.vao = gl.createVertexArray();
    }

    nearest() {
      const gl = this.gl;
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    }

    floatTexture(w, h, format) {
      const gl = this.gl;
      const t = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, t);
      gl.texStorage2D(gl.TEXTURE_2D, 1, format, w, h);
      this.nearest();
      return t;
    }

    target(w, h, format) {
      const gl = this.gl;
      const texture = this.floatTexture(w, h, format);
      const fbo = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
      if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE)
        throw new Error('float render targets are not complete here');
      return { texture, fbo, w, h };
    }

    program(vs, fs) {
      const gl = this.gl;
      const compile = (type, source) => {
        const s = gl.createShader(type);
        gl.shaderSource(s, source);
        gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
        return s;
      };
      const p = gl.createProgram();
      gl.attachShader(p, compile(gl.VERTEX_SHADER, vs));
      gl.attachShader(p, compile(gl.FRAGMENT_SHADER, fs));
      gl.linkProgram(p);
      if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error('program: ' + gl.getProgramInfoLog(p));
      const uniforms = {};
      const count = gl.getProgramParameter(p, gl.ACTIVE_UNIFORMS);
      for (let i = 0; i < count; ++i) {
        const name = gl.getActiveUniform(p, i).name.replace(/\[0\]$/, '');
        uniforms[name] = gl.getUniformLocation(p, name);
      }
      return { p, uniforms };
    }

    use(name, target) {
      const gl = this.gl;
      const program = this.programs[name];
      gl.useProgram(program.p);
      gl.bindFramebuffer(gl.FRAMEBUFFER, target ? target.fbo : null);
      if (target) gl.viewport(0, 0, target.w, target.h);
      else gl.viewport(0, 0, this.scene.width, this.scene.height);
      return program.uniforms;
    }

    bind(unit, location, texture) {
      const gl = this.gl;
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.uniform1i(location, unit);
    }

    render() {
      const gl = this.gl, scene = this.scene;
      const w = scene.width, h = scene.height;
      gl.bindTexture(gl.TEXTURE_2D, this.fieldX);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, scene.px, scene.py, gl.RED, gl.FLOAT, scene.fieldX);
      gl.bindTexture(gl.TEXTURE_2D, this.fieldY);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, scene.px, scene.py, gl.RED, gl.FLOAT, scene.fieldY);
      gl.bindVertexArray(this.vao);

      let u = this.use('splat', this.accum);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      this.bind(0, u.uFieldX, this.fieldX);
      this.bind(1, u.uFieldY, this.fieldY);
      this.bind(2, u.uZ, this.z);
      this.bind(3, u.uPhoto, this.photo);
      gl.uniform2i(u.uSize, w, h);
      gl.uniform1i(u.uStride, scene.stride);
      const phase = new Float32Array(32);
      scene.phaseW.forEach((wt, i) => phase.set(wt, i * 4));
      gl.uniform4fv(u.uPhase, phase);
      gl.uniform1f(u.uWeightFloor, this.weightFloor);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.ONE, gl.ONE);
      gl.drawArrays(gl.POINTS, 0, w * h);
      gl.disable(gl.BLEND);

      u = this.use('resolve', this.levels[0]);
      this.bind(0, u.uAccum, this.accum.texture);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      for (let l = 1; l < this.levels.length; ++l) {
        u = this.use('push', this.levels[l]);
        this.bind(0, u.uFine, this.levels[l - 1].texture);
        gl.uniform2i(u.uFineSize, this.levels[l - 1].w, this.levels[l - 1].h);
        gl.drawArrays(gl.TRIANGLES, 0, 3);
      }
      for (let l = this.levels.length - 2; l >= 0; --l) {
        u = this.use('pull', this.filled[l]);
        this.bind(0, u.uLevel, this.levels[l].texture);
        this.bind(1, u.uCoarse, this.filled[l + 1].texture);
        gl.uniform2i(u.uCoarseSize, this.filled[l + 1].w, this.filled[l + 1].h);
        gl.drawArrays(gl.TRIANGLES, 0, 3);
      }
      u = this.use('show', null);
      this.bind(0, u.uImage, this.filled[0].texture);
      gl.uniform1i(u.uHeight, h);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
  }

  // ---- Playback and interaction ---------------------------------------------------------------------------

  async function start() {
    let data = null;
    try {
      data = JSON.parse(document.getElementById('waft-scene').textContent);
      if (data.format !== 'waft-web' || data.version !== 1) throw new Error('not a Waft scene of this version');
    } catch (e) {
      api.error = 'the page\u2019s scene data cannot be read: ' + e.message;
      note.textContent = api.error;
      api.ready = true;
      return;
    }
    const gl = canvas.getContext('webgl2', { antialias: false, alpha: false, preserveDrawingBuffer: true });
    if (!gl) return showFallback(data, 'this browser has no WebGL2');
    if (typeof DecompressionStream === 'undefined') return showFallback(data, 'this browser cannot inflate data');
    let scene, renderer;
    try {
      scene = new Scene(data, await inflate(bytesOf(data.volume)));
      const photo = await createImageBitmap(new Blob([bytesOf(data.photo)], { type: 'image/jpeg' }),
        { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
      canvas.width = scene.width;
      canvas.height = scene.height;
      renderer = new Renderer(gl, scene, photo);
    } catch (e) {
      return showFallback(data, e.message);
    }
    const modal = new Modal(scene, data);
    const k = scene.k;
    const qr = new Float64Array(k), qi = new Float64Array(k);
    const loop = { playhead: 0, playing: true, last: null };
    const grab = { active: false, x: 0, y: 0, dx: 0, dy: 0 };
    const trace = [];  // {t, along}: the grabbed pixel's modal displacement along the drag, per frame
    let simTime = 0;
    let frames = 0;

    // q_j = g_j e^{i 2 pi f'_j (t0 + t)} plus the modal coordinates (the app adds them; playback never stops).
    function coordinates(playSec, withModal) {
      for (let j = 0; j < k; ++j) {
        const b = scene.bands[j];
        const phase = (2 * Math.PI * b.loopHz * (data.startSec + playSec)) % (2 * Math.PI);
        qr[j] = Math.fround(b.gain * Math.fround(Math.cos(phase)));
        qi[j] = Math.fround(b.gain * Math.fround(Math.sin(phase)));
        if (withModal) {
          qr[j] += modal.qr[j];
          qi[j] += modal.qi[j];
        }
      }
    }

    function draw() {
      scene.synthesize(qr, qi);
      renderer.render();
      if (frames === 0) api.firstFrameMs = performance.now();
      ++frames;
    }

    function tick(now) {
      if (api.frozen) return;
      const dt = loop.last === null ? 0 : Math.min(Math.max((now - loop.last) / 1000, 0), 0.25);
      loop.last = now;
      if (loop.playing) loop.playhead = (loop.playhead + dt) % data.loopSec;
      modal.step(dt);
      simTime += dt;
      if (grab.active || trace.length > 0) {
        const [ux, uy] = modal.displacementAt(grab.x, grab.y);
        const length = Math.hypot(grab.dx, grab.dy);
        trace.push({ t: simTime, held: modal.held, along: length > 0 ? (ux * grab.dx + uy * grab.dy) / length : 0 });
        if (trace.length > 100000) trace.splice(0, 50000);
      }
      coordinates(loop.playhead, true);
      draw();
      requestAnimationFrame(tick);
    }

    function showRing(event) {
      ring.style.left = event.clientX + 'px';
      ring.style.top = event.clientY + 'px';
      ring.hidden = false;
    }
    function scenePoint(event) {
      const r = canvas.getBoundingClientRect();
      return [((event.clientX - r.left) * scene.width) / r.width, ((event.clientY - r.top) * scene.height) / r.height];
    }
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      canvas.setPointerCapture(event.pointerId);
      canvas.classList.add('held');
      const [x, y] = scenePoint(event);
      Object.assign(grab, { active: true, x: Math.round(x), y: Math.round(y), startX: x, startY: y });
      trace.length = 0;
      api.pressTime = simTime;  // the pull acts from the last step on
      modal.setPull(grab.x, grab.y, 0, 0);
      showRing(event);
      event.preventDefault();
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!grab.active) return;
      const [x, y] = scenePoint(event);
      const dx = x - grab.startX, dy = y - grab.startY;
      if (dx !== 0 || dy !== 0) Object.assign(grab, { dx, dy });
      modal.setPull(grab.x, grab.y, dx, dy);
      showRing(event);
    });
    const letGo = () => {
      if (!grab.active) return;
      grab.active = false;
      api.releaseTime = simTime;  // the force is off from the last step on
      canvas.classList.remove('held');
      ring.hidden = true;
      modal.release();
    };
    canvas.addEventListener('pointerup', letGo);
    canvas.addEventListener('pointercancel', letGo);

    canvas.hidden = false;
    note.textContent = 'Drag anything to pull it; let go and it springs back.';
    setTimeout(() => { note.textContent = ''; }, 6000);
    Object.assign(api, {
      ready: true,
      interactive: true,
      width: scene.width,
      height: scene.height,
      bands: k,
      loopSec: data.loopSec,
      floatBlend: renderer.floatBlend,
      trace,
      frames: () => frames,
      // Stops the clock and renders loop frame i as `waft-cli animate --fps 30` does (the loop's start instant
      // is planned at 30 fps, as in the app; other rates give frames at i / fps from that start).
      renderLoopFrame(i, fps) {
        api.frozen = true;
        coordinates(i / fps, false);
        draw();
        gl.finish();
      },
      resume() {
        api.frozen = false;
        loop.last = null;
        requestAnimationFrame(tick);
      },
      // The modal displacement at a pixel (the engine's PullJob trace, for tests).
      modalDisplacementAt: (x, y) => modal.displacementAt(x, y),
      // The pixel that moves most under a pull (mobility sum_j |S_j|^2 / w_j^2), on a coarse grid.
      mostMobilePoint() {
        let best = [0, 0], bestValue = -1;
        for (let y = 0; y < scene.height; y += scene.stride)
          for (let x = 0; x < scene.width; x += scene.stride) {
            let m = 0;
            for (let j = 0; j < k; ++j) {
              const s = modal.shape(j, x, y);
              m += (s[0] * s[0] + s[1] * s[1] + s[2] * s[2] + s[3] * s[3]) / (modal.omega[j] * modal.omega[j]);
            }
            if (m > bestValue) { bestValue = m; best = [x, y]; }
          }
        return best;
      },
    });
    requestAnimationFrame(tick);
  }

  start().catch((e) => {
    api.error = String(e && e.message ? e.message : e);
    note.textContent = 'This scene cannot play: ' + api.error;
    api.ready = true;
  });
})();
