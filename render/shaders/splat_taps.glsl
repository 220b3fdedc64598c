// Bilinear taps of source pixel i, exactly as the CPU reference computes them. Calls TAP(target, tap) for
// each of the four neighbours with a positive weight that lies inside the image.
void forEachTap(int i, out bool inside, out int x0, out int y0, out vec4 taps) {
    const int x = i % pc.width;
    const int y = i / pc.width;
    const vec2 d = displacement[i];
    const float tx = float(x) + d.x;
    const float ty = float(y) + d.y;
    inside = tx > -1.0 && tx < float(pc.width) && ty > -1.0 && ty < float(pc.height);
    const float fx0 = floor(tx);
    const float fy0 = floor(ty);
    x0 = int(fx0);
    y0 = int(fy0);
    const float ax = tx - fx0;
    const float ay = ty - fy0;
    taps = vec4((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
}

int tapTarget(int t, int x0, int y0, float tap) {
    const int qx = x0 + (t & 1);
    const int qy = y0 + (t >> 1);
    if (!(tap > 0.0) || qx < 0 || qx >= pc.width || qy < 0 || qy >= pc.height) return -1;
    return qy * pc.width + qx;
}
