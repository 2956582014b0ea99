package io.github.saimjava.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Scalars;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Data-parallel gradients of a {@link SaimModel} over several devices. The model given is the
 * master: its weights, gradients and optimiser live on the first device. Every further device gets
 * a replica, a model of the same configuration whose weights are copied from the master by {@link
 * #broadcast()}, which the owner calls before the first step and after each optimiser step.
 *
 * <p>A micro-batch is split with DJL's {@link Batch#split} into equal parts, one per device; the
 * per-image permutation keys travel with the images (as the batch's labels), so each image is
 * predicted in the same order whatever the split. Part {@code i} of {@code n_i} images adds the
 * gradient of {@code loss_i * n_i / n / accumIter} to its replica, which sums to the gradient of
 * the whole micro-batch's mean loss. {@link #combineGradients()} then adds the replicas' gradients
 * into the master's and clears them, so the master holds what one device would have accumulated,
 * and one optimiser step follows.
 *
 * <p>The parts are computed one after another from the calling thread. With one device this class
 * does exactly what a plain forward and backward pass would. Closing it frees the replicas, not the
 * master.
 */
final class DataParallel implements AutoCloseable {
  private final SaimModel master;
  private final Device[] devices;
  private final List<SaimModel> replicas = new ArrayList<>();
  private final List<NDManager> replicaManagers = new ArrayList<>();

  /**
   * Replicas of {@code master} for {@code devices} (the first must be the master's device).
   *
   * @throws IllegalArgumentException when no device is given or the first is not the master's
   */
  DataParallel(SaimModel master, List<Device> devices, Engine engine) {
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("at least one device is needed");
    }
    Device home = master.manager().getDevice();
    if (!devices.get(0).equals(home)) {
      throw new IllegalArgumentException(
          "the first device ("
              + devices.get(0)
              + ") must hold the master weights, which are on "
              + home);
    }
    this.master = master;
    this.devices = devices.toArray(new Device[0]);
    replicas.add(master);
    try {
      for (int i = 1; i < devices.size(); i++) {
        NDManager m = engine.newBaseManager(devices.get(i));
        replicaManagers.add(m);
        // the seed only shapes initial values, which broadcast() overwrites
        replicas.add(new SaimModel(master.config(), m, 0, master.precision()));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Number of devices (parts per micro-batch). */
  int size() {
    return devices.length;
  }

  /** The model computing part {@code i} (0: the master). */
  SaimModel replica(int i) {
    return replicas.get(i);
  }

  /**
   * Forward and backward pass of one micro-batch: the images split over the devices, each part's
   * gradient accumulated on its replica. Takes ownership of {@code images} (closed on return).
   *
   * @param images N x C x H x W on the master's device
   * @param keys the permutation key of each image
   * @param accumIter micro-batches per optimiser step (the loss is divided by it)
   * @return the micro-batch's mean loss
   * @throws IllegalArgumentException when N is not a multiple of the number of devices
   */
  double forwardBackward(NDArray images, long[] keys, PermutationSampler sampler, int accumIter) {
    int n = keys.length;
    if (n % devices.length != 0) {
      images.close();
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a batch of %d images does not split evenly over %d devices: use a batch size that is"
                  + " a multiple of %d",
              n,
              devices.length,
              devices.length));
    }
    NDManager home = master.manager();
    NDArray keyArray = home.create(keys);
    try (Batch whole =
        new Batch(
            home.newSubManager(),
            new NDList(images),
            new NDList(keyArray),
            n,
            Batchifier.STACK,
            Batchifier.STACK,
            0,
            0)) {
      Batch[] parts = whole.split(devices, true);
      NDArray[] partLosses = new NDArray[parts.length];
      for (int i = 0; i < parts.length; i++) {
        Batch part = parts[i];
        NDArray partImages = part.getData().singletonOrThrow();
        long[] partKeys = part.getLabels().singletonOrThrow().toLongArray();
        SaimModel replica = replicas.get(i);
        // the part's share of the step: 1 / (parts x accumIter), an integer divisor as with one
        // device
        double divisor = (double) n / partKeys.length * accumIter;
        try (Permutation perm = sampler.sample(part.getManager(), partKeys);
            GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray partLoss = replica.forwardLoss(partImages, perm).loss();
          partLosses[i] = partLoss;
          gc.backward(divisor == 1 ? partLoss : Scalars.div(partLoss, divisor));
        }
      }
      // read after every part is under way: reading a value waits for its device to finish
      double loss = 0;
      for (int i = 0; i < parts.length; i++) {
        loss += partLosses[i].getFloat() * (double) parts[i].getSize() / n;
        parts[i].close();
      }
      return loss;
    }
  }

  /**
   * Adds every replica's gradients into the master's (moved to the master's device) and clears the
   * replicas' gradients. A no-op with one device.
   */
  void combineGradients() {
    if (replicas.size() == 1) {
      return;
    }
    Device home = master.manager().getDevice();
    Map<String, NDArray> into = master.parameters().trainable();
    try (NoGrad ng = NoGrad.enter()) {
      for (int i = 1; i < replicas.size(); i++) {
        Map<String, NDArray> from = replicas.get(i).parameters().trainable();
        for (Map.Entry<String, NDArray> e : from.entrySet()) {
          NDArray p = e.getValue();
          if (!p.hasGradient()) {
            continue;
          }
          // every replica is a copy of the master, with the same parameters
          NDArray target = Objects.requireNonNull(into.get(e.getKey()));
          if (!target.hasGradient()) {
            throw new IllegalStateException(
                "parameter "
                    + e.getKey()
                    + " has a gradient on device "
                    + devices[i]
                    + " but none on the master");
          }
          try (NDArray g = p.getGradient();
              NDArray moved = g.toDevice(home, true);
              NDArray mg = target.getGradient()) {
            mg.addi(moved);
          }
        }
        AdamW.zeroGrad(from);
      }
    }
  }

  /**
   * Copies the master's trainable weights into every replica (after an optimiser step or a resume).
   */
  void broadcast() {
    if (replicas.size() == 1) {
      return;
    }
    Map<String, NDArray> from = master.parameters().trainable();
    try (NoGrad ng = NoGrad.enter()) {
      for (int i = 1; i < replicas.size(); i++) {
        Map<String, NDArray> into = replicas.get(i).parameters().trainable();
        for (Map.Entry<String, NDArray> e : from.entrySet()) {
          NDArray target = Objects.requireNonNull(into.get(e.getKey()));
          try (NDArray moved = e.getValue().toDevice(devices[i], true)) {
            target.set(new NDIndex("..."), moved);
          }
        }
      }
    }
  }

  /** Frees the replicas (the master stays with its owner). */
  @Override
  public void close() {
    for (int i = 1; i < replicas.size(); i++) {
      replicas.get(i).close();
    }
    for (NDManager m : replicaManagers) {
      m.close();
    }
  }
}
