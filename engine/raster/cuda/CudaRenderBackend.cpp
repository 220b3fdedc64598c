#include "raster/cuda/CudaRenderBackend.h"

#include <cuda_runtime.h>

#include <opencv2/core.hpp>

#include "raster/FrameRenderer.h"
#include "raster/cuda/CudaSplat.h"

namespace waft::engine::cuda {

namespace {

// Owner of one device allocation.
class DeviceArray {
public:
    DeviceArray() = default;
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    ~DeviceArray() {
        if (m_ptr) cudaFree(m_ptr);
    }
    Status allocate(size_t floats) {
        if (cudaMalloc(&m_ptr, floats * sizeof(float)) != cudaSuccess)
            return Status::error(StatusCode::Unsupported,
                                 "CUDA: cannot allocate " + std::to_string(floats * 4 >> 20) + " MiB");
        return Status::ok();
    }
    Status upload(const float* host, size_t floats) {
        return cudaMemcpy(m_ptr, host, floats * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess
                   ? Status::ok()
                   : Status::error(StatusCode::Internal, "CUDA: upload failed");
    }
    float* get() const { return m_ptr; }

private:
    float* m_ptr = nullptr;
};

class CudaRenderBackend : public RenderBackend {
public:
    explicit CudaRenderBackend(const SpectralVolume& volume) : m_volume(volume) {}
    const char* name() const override { return "cuda"; }

    Status init() {
        const size_t n = m_volume.planeSize();
        for (DeviceArray* a : {&m_dx, &m_dy, &m_weights, &m_out}) WAFT_RETURN_IF_ERROR(a->allocate(n));
        WAFT_RETURN_IF_ERROR(m_image.allocate(n * 3));
        WAFT_RETURN_IF_ERROR(m_coefficients.allocate(m_volume.coefficients.size()));
        WAFT_RETURN_IF_ERROR(m_q.allocate(size_t(m_volume.bands) * 2));
        WAFT_RETURN_IF_ERROR(m_coefficients.upload(m_volume.coefficients.data(), m_volume.coefficients.size()));
        const std::vector<float> weights = sceneSplatWeights(m_volume);
        WAFT_RETURN_IF_ERROR(m_weights.upload(weights.data(), n));
        cv::Mat reference;
        m_volume.reference.convertTo(reference, CV_32FC3);
        return m_image.upload(reference.ptr<float>(), n * 3);
    }

    Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) override {
        std::vector<float> coordinates(size_t(m_volume.bands) * 2, 0.0f);
        for (size_t j = 0; j < q.size() && j < size_t(m_volume.bands); ++j) {
            coordinates[2 * j] = q[j].real();
            coordinates[2 * j + 1] = q[j].imag();
        }
        WAFT_RETURN_IF_ERROR(m_q.upload(coordinates.data(), coordinates.size()));
        if (std::string e = synthesizeDisplacement(m_coefficients.get(), m_q.get(), m_volume.bands, m_volume.width,
                                                   m_volume.height, m_dx.get(), m_dy.get());
            !e.empty())
            return Status::error(StatusCode::Internal, e);
        CudaSplatArgs args;
        args.image = m_image.get();
        args.dx = m_dx.get();
        args.dy = m_dy.get();
        args.weights = m_weights.get();
        args.out = m_out.get();
        args.width = m_volume.width;
        args.height = m_volume.height;
        args.channels = 3;
        if (std::string e = softmaxSplat(args); !e.empty()) return Status::error(StatusCode::Internal, e);
        m_host.create(m_volume.height, m_volume.width, CV_32FC3);
        if (cudaMemcpy(m_host.ptr<float>(), m_out.get(), m_volume.planeSize() * 3 * sizeof(float),
                       cudaMemcpyDeviceToHost) != cudaSuccess)
            return Status::error(StatusCode::Internal, "CUDA: read-back failed");
        m_host.convertTo(outBgr8, CV_8UC3);
        return Status::ok();
    }

private:
    const SpectralVolume& m_volume;
    DeviceArray m_coefficients, m_q, m_dx, m_dy, m_weights, m_image, m_out;
    cv::Mat m_host;
};

}  // namespace

Expected<std::unique_ptr<RenderBackend>> createCudaRenderBackend(const SpectralVolume& volume) {
    WAFT_RETURN_IF_ERROR(volume.validate());
    if (deviceCount() == 0) return Status::error(StatusCode::Unsupported, "no CUDA device");
    auto backend = std::make_unique<CudaRenderBackend>(volume);
    WAFT_RETURN_IF_ERROR(backend->init());
    return std::unique_ptr<RenderBackend>(std::move(backend));
}

}  // namespace waft::engine::cuda
