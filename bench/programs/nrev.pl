% nrev: naive reverse of a 30-element list, the classic LIPS benchmark.
% One nrev30 = 496 logical inferences (31 nrev/2 calls + 465 app/3 calls).
% Run: swipl -q -g main -t halt bench/programs/nrev.pl
% Prints: RESULT <reversed list>, ITER <n>, TIME <seconds per nrev30, loop overhead removed>, LIPS <n>.
% Measured with SWI-Prolog 9.0.4 (2 cores, this dev machine): TIME ~12.2 us per nrev30 (~40 M LIPS).

app([], L, L).
app([H|T], L, [H|R]) :- app(T, L, R).

nrev([], []).
nrev([H|T], R) :- nrev(T, RT), app(RT, [H], R).

range(N, N, [N]) :- !.
range(I, N, [I|T]) :- I < N, I1 is I+1, range(I1, N, T).

bench(N) :- range(1, 30, L), between(1, N, _), nrev(L, _), fail.
bench(_).

dummy(N) :- range(1, 30, L), between(1, N, _), dummy_nrev(L, _), fail.
dummy(_).
dummy_nrev(_, _).

iterations(N) :- getenv('NREV_ITER', S), atom_number(S, N), !.
iterations(100000).

main :-
    iterations(N),
    range(1, 30, L), nrev(L, R),
    statistics(cputime, T0), bench(N), statistics(cputime, T1),
    dummy(N), statistics(cputime, T2),
    Total is max((T1 - T0) - (T2 - T1), 1.0e-9),
    T is Total / N,
    LIPS is round(496 / T),
    format("RESULT ~w~n", [R]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]),
    format("LIPS ~d~n", [LIPS]).
