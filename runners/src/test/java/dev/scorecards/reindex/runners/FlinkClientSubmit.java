package dev.scorecards.reindex.runners;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.client.ClientUtils;
import org.apache.flink.client.deployment.executors.RemoteExecutor;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.DefaultExecutorServiceLoader;

/**
 * What {@code flink run -c MAIN JAR ARGS...} does against a session cluster, for a test without a
 * Flink distribution: the program is loaded from the jar in a class loader of its own and its main
 * method runs with Flink's client environment installed, submitting to the cluster at {@code
 * REST_HOST:REST_PORT}.
 *
 * <p>Arguments: REST_HOST REST_PORT JAR MAIN PROGRAM_ARGS...
 */
public final class FlinkClientSubmit {
  private FlinkClientSubmit() {}

  public static void main(String[] args) throws Exception {
    File jar = new File(args[2]);
    Configuration conf = new Configuration();
    conf.set(DeploymentOptions.TARGET, RemoteExecutor.NAME);
    conf.set(DeploymentOptions.ATTACHED, true);
    conf.set(RestOptions.ADDRESS, args[0]);
    conf.set(RestOptions.PORT, Integer.parseInt(args[1]));
    conf.set(PipelineOptions.JARS, List.of(jar.toURI().toURL().toString()));
    PackagedProgram program =
        PackagedProgram.newBuilder()
            .setJarFile(jar)
            .setEntryPointClassName(args[3])
            .setArguments(Arrays.copyOfRange(args, 4, args.length))
            .setConfiguration(conf)
            .build();
    ClientUtils.executeProgram(new DefaultExecutorServiceLoader(), conf, program, false, false);
  }
}
